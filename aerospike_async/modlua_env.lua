-- The Lua side of aerospike_async's mod-lua environment (see lua.py).
--
-- Written for this project from the documented behaviour of Aerospike's mod-lua:
-- the globals a UDF module sees (list, map, bytes, record, aerospike, stream and the
-- logging helpers), values converted to and from particles in Aerospike's msgpack
-- dialect, and stream operations split into a server phase and a client phase.
-- List, Map, Bytes, Record and GeoJSON values are tables behind metatables; the
-- global type() reports them as 'userdata', as the real environment's boxes are.

local rawtype, setmetatable, getmetatable = type, setmetatable, getmetatable
local spack, sunpack, schar, sbyte, ssub = string.pack, string.unpack, string.char,
    string.byte, string.sub
local mtype, tconcat, tsort = math.type, table.concat, table.sort

local NIL = setmetatable({}, { __name = 'nil' })   -- a nil element kept in a list/map
local DATA = setmetatable({}, { __mode = 'k' })     -- object -> its state

List = { __name = 'List' }
Map = { __name = 'Map' }
Bytes = { __name = 'Bytes' }
Record = { __name = 'Record' }
GeoJSON = { __name = 'GeoJSON' }
local Stream = { __name = 'Stream' }
local Aerospike = { __name = 'Aerospike' }

local BOXES = { [List] = true, [Map] = true, [Bytes] = true, [Record] = true,
                [GeoJSON] = true, [Stream] = true, [Aerospike] = true }

function type(v)
  local t = rawtype(v)
  if t == 'table' and BOXES[getmetatable(v)] then return 'userdata' end
  return t
end

local function is(v, mt) return rawtype(v) == 'table' and getmetatable(v) == mt end

-- A new value of metatable mt whose state is the table given.
local function box(mt, state)
  local o = setmetatable({}, mt)
  DATA[o] = state
  return o
end

-- The state of a value of metatable mt, got by a library function from its argument #1.
local function state_of(mt)
  local msg = 'bad argument #1 (' .. mt.__name .. ' expected)'
  return function(o)
    local d = is(o, mt) and DATA[o]
    if not d then error(msg, 3) end
    return d
  end
end

local function opt_int(v, default)
  if mtype(v) == 'integer' then return v end
  if mtype(v) == 'float' and v == math.floor(v) then return math.tointeger(v) end
  if rawtype(v) == 'string' then
    local n = math.tointeger(tonumber(v))
    if n then return n end
  end
  return default
end

-- -- list ------------------------------------------------------------------------
local function new_list(items, n) return box(List, { v = items or {}, n = n or 0 }) end
local listdata = state_of(List)

local function valid_element(v)
  if v == nil then return NIL end
  if is(v, Record) or rawtype(v) == 'table' and not BOXES[getmetatable(v)] then
    return nil   -- records and plain tables are not list elements
  end
  if rawtype(v) == 'function' or rawtype(v) == 'thread' then return nil end
  return v
end

local function unbox(v) if v == NIL then return nil end return v end

list = setmetatable({}, { __call = function(_, t)
  local items, n = {}, 0
  if rawtype(t) == 'table' and not BOXES[getmetatable(t)] then
    local keys = {}
    for k in pairs(t) do if rawtype(k) == 'number' then keys[#keys + 1] = k end end
    tsort(keys)
    for _, k in ipairs(keys) do
      local e = valid_element(t[k])
      if e ~= nil then n = n + 1; items[n] = e end
    end
  end
  return new_list(items, n)
end })

function list.create(capacity) return new_list({}, 0) end
list.new = list.create

function list.size(l) return listdata(l).n end

function list.append(l, v)
  local d = listdata(l)
  local e = valid_element(v)
  if e ~= nil then d.n = d.n + 1; d.v[d.n] = e end
end

function list.prepend(l, v)
  local d = listdata(l)
  local e = valid_element(v)
  if e ~= nil then table.insert(d.v, 1, e); d.n = d.n + 1 end
end

function list.insert(l, i, v)
  local d = listdata(l)
  i = opt_int(i, 0)
  local e = valid_element(v)
  if i < 1 or e == nil then return end
  if i > d.n then
    for j = d.n + 1, i - 1 do d.v[j] = NIL end
    d.v[i] = e
    d.n = i
  else
    table.insert(d.v, i, e)
    d.n = d.n + 1
  end
end

function list.remove(l, i)
  local d = listdata(l)
  i = opt_int(i, 0)
  if i >= 1 and i <= d.n then table.remove(d.v, i); d.n = d.n - 1 end
end

function list.concat(l, l2)
  local d, d2 = listdata(l), listdata(l2)
  for j = 1, d2.n do d.n = d.n + 1; d.v[d.n] = d2.v[j] end
end

function list.trim(l, i)
  local d = listdata(l)
  i = opt_int(i, 0)
  if i >= 1 then
    for j = d.n, i, -1 do d.v[j] = nil end
    if d.n >= i then d.n = i - 1 end
  end
end

function list.take(l, n)
  local d = listdata(l)
  n = opt_int(n, 0)
  if n <= 0 then return nil end
  local items, m = {}, math.min(n, d.n)
  for j = 1, m do items[j] = d.v[j] end
  return new_list(items, m)
end

function list.drop(l, n)
  local d = listdata(l)
  n = opt_int(n, 0)
  if n <= 0 then return nil end
  local items, m = {}, 0
  for j = n + 1, d.n do m = m + 1; items[m] = d.v[j] end
  return new_list(items, m)
end

function list.iterator(l)
  local d = listdata(l)
  local i = 0
  return function()
    i = i + 1
    if i <= d.n then return unbox(d.v[i]) end
  end
end

function list.clone(l)
  local d = listdata(l)
  local items = {}
  for j = 1, d.n do items[j] = d.v[j] end
  return new_list(items, d.n)
end

function list.merge(l1, l2)
  local out = list.clone(l1)
  list.concat(out, l2)
  return out
end

local tostring_value

function list.tostring(l)
  local d = listdata(l)
  local parts = {}
  for j = 1, d.n do parts[j] = tostring_value(unbox(d.v[j])) end
  return 'List(' .. tconcat(parts, ', ') .. ')'
end

function list.nbytes(l) return #pack(l) end

List.__index = function(l, i)
  i = opt_int(i, 0)
  local d = DATA[l]
  if i >= 1 and i <= d.n then return unbox(d.v[i]) end
  return nil
end
List.__newindex = function(l, i, v)
  i = opt_int(i, 0)
  local d = DATA[l]
  local e = valid_element(v)
  if i < 1 or e == nil then return end
  if i > d.n then
    for j = d.n + 1, i - 1 do d.v[j] = NIL end
    d.n = i
  end
  d.v[i] = e
end
List.__len = function(l) return DATA[l].n end
List.__tostring = function(l) return list.tostring(l) end

-- -- map -----------------------------------------------------------------------------
local function new_map() return box(Map, { v = {}, n = 0 }) end
local mapdata = state_of(Map)

local function map_set(d, k, v)
  if k == nil or k ~= k then return end
  if v == nil then
    if d.v[k] ~= nil then d.v[k] = nil; d.n = d.n - 1 end
    return
  end
  if d.v[k] == nil then d.n = d.n + 1 end
  d.v[k] = v
end

map = setmetatable({}, { __call = function(_, t)
  local m = new_map()
  if rawtype(t) == 'table' and not BOXES[getmetatable(t)] then
    local d = DATA[m]
    for k, v in pairs(t) do
      local e = valid_element(v)
      if e ~= nil and valid_element(k) ~= nil then map_set(d, k, e) end
    end
  end
  return m
end })

function map.create(capacity) return new_map() end
map.new = map.create
function map.size(m) return mapdata(m).n end

function map.remove(m, k)
  local d = mapdata(m)
  if k ~= nil then map_set(d, k, nil) end
end

function map.pairs(m)
  local d = mapdata(m)
  local k
  return function()
    local v
    k, v = next(d.v, k)
    if k ~= nil then return k, unbox(v) end
  end
end
map.iterator = map.pairs

function map.keys(m)
  local it = map.pairs(m)
  return function() local k = it(); return k end
end

function map.values(m)
  local d = mapdata(m)
  local k
  return function()
    local v
    k, v = next(d.v, k)
    if k ~= nil then return unbox(v) end
  end
end

function map.clone(m)
  local out = new_map()
  local d, o = mapdata(m), DATA[out]
  for k, v in pairs(d.v) do o.v[k] = v end
  o.n = d.n
  return out
end

function map.merge(m1, m2, f)
  local out = map.clone(m1)
  local o = DATA[out]
  local d1 = mapdata(m1)
  for k, v in pairs(mapdata(m2).v) do
    local mine = d1.v[k]
    if mine ~= nil and rawtype(f) == 'function' then
      local merged = f(unbox(mine), unbox(v))
      if merged == nil or merged == false then merged = v end
      map_set(o, k, valid_element(merged) or v)
    else
      map_set(o, k, v)
    end
  end
  return out
end

function map.diff(m1, m2)
  local out = new_map()
  local o, d1, d2 = DATA[out], mapdata(m1), mapdata(m2)
  for k, v in pairs(d1.v) do if d2.v[k] == nil then map_set(o, k, v) end end
  for k, v in pairs(d2.v) do if d1.v[k] == nil then map_set(o, k, v) end end
  return out
end

function map.tostring(m)
  local parts = {}
  for k, v in map.pairs(m) do
    parts[#parts + 1] = tostring_value(k) .. '->' .. tostring_value(v)
  end
  return 'Map(' .. tconcat(parts, ', ') .. ')'
end

function map.nbytes(m) return #pack(m) end

Map.__index = function(m, k)
  if k == nil then return nil end
  return unbox(DATA[m].v[k])
end
Map.__newindex = function(m, k, v)
  if k == nil or is(v, Record) then return end
  local d = DATA[m]
  if v == nil then map_set(d, k, nil) else map_set(d, k, valid_element(v)) end
end
Map.__len = function(m) return DATA[m].n end
Map.__tostring = function(m) return map.tostring(m) end

-- -- bytes -----------------------------------------------------------------------------
local BLOB = 4

local function new_bytes(s, ptype)
  local v = {}
  if s then for i = 1, #s do v[i] = sbyte(s, i) end end
  return box(Bytes, { v = v, n = s and #s or 0, t = ptype or BLOB })
end
local bytesdata = state_of(Bytes)

local function bytes_string(d, from, to)
  local parts, chunk = {}, {}
  for i = from or 1, to or d.n do
    chunk[#chunk + 1] = d.v[i] or 0
    if #chunk == 4096 then parts[#parts + 1] = schar(table.unpack(chunk)); chunk = {} end
  end
  if #chunk > 0 then parts[#parts + 1] = schar(table.unpack(chunk)) end
  return tconcat(parts)
end

local function bytes_put(d, pos, s)   -- pos is 1-based; grows the value
  for i = 1, #s do d.v[pos + i - 1] = sbyte(s, i) end
  if pos + #s - 1 > d.n then
    for i = d.n + 1, pos - 1 do if d.v[i] == nil then d.v[i] = 0 end end
    d.n = pos + #s - 1
  end
  return true
end

bytes = setmetatable({}, { __call = function(_, n) return new_bytes(nil) end })

function bytes.size(b) return bytesdata(b).n end
function bytes.set_size(b, n)
  local d = bytesdata(b)
  n = opt_int(n, 0)
  for i = d.n + 1, n do d.v[i] = 0 end
  for i = n + 1, d.n do d.v[i] = nil end
  d.n = n
  return true
end
function bytes.get_type(b) return bytesdata(b).t end
function bytes.set_type(b, t) bytesdata(b).t = opt_int(t, BLOB); return true end
function bytes.tostring(b) return tostring(b) end

function bytes.get_byte(b, i)
  local d = bytesdata(b)
  i = opt_int(i, 0)
  if i >= 1 and i <= d.n then return d.v[i] end
  return nil
end
function bytes.set_byte(b, i, v)
  local d = bytesdata(b)
  i, v = opt_int(i, 0), opt_int(v, nil)
  if i < 1 or v == nil then return false end
  return bytes_put(d, i, schar(v & 0xFF))
end
function bytes.append_byte(b, v)
  local d = bytesdata(b)
  v = opt_int(v, nil)
  if v == nil then return false end
  return bytes_put(d, d.n + 1, schar(v & 0xFF))
end

function bytes.get_string(b, i, len)
  local d = bytesdata(b)
  i, len = opt_int(i, 0), opt_int(len, 0)
  if i < 1 or len < 0 or i + len - 1 > d.n then return nil end
  return bytes_string(d, i, i + len - 1)
end
function bytes.get_bytes(b, i, len)
  local s = bytes.get_string(b, i, len)
  if s == nil then return nil end
  return new_bytes(s)
end
function bytes.set_string(b, i, s)
  local d = bytesdata(b)
  i = opt_int(i, 0)
  if i < 1 or rawtype(s) ~= 'string' then return false end
  return bytes_put(d, i, s)
end
function bytes.set_bytes(b, i, other, len)
  local d = bytesdata(b)
  local o = bytesdata(other)
  i = opt_int(i, 0)
  if i < 1 then return false end
  return bytes_put(d, i, bytes_string(o, 1, math.min(opt_int(len, o.n), o.n)))
end
function bytes.append_string(b, s)
  local d = bytesdata(b)
  if rawtype(s) ~= 'string' then return false end
  return bytes_put(d, d.n + 1, s)
end
function bytes.append_bytes(b, other, len)
  local d, o = bytesdata(b), bytesdata(other)
  return bytes_put(d, d.n + 1, bytes_string(o, 1, math.min(opt_int(len, o.n), o.n)))
end

local function int_accessors(suffix, fmt_be, fmt_le, size)
  for _, v in ipairs({ { '', fmt_be }, { '_be', fmt_be }, { '_le', fmt_le } }) do
    local name, fmt = suffix .. v[1], v[2]
    bytes['get_' .. name] = function(b, i)
      local d = bytesdata(b)
      i = opt_int(i, 0)
      if i < 1 or i + size - 1 > d.n then return nil end
      return (sunpack(fmt, bytes_string(d, i, i + size - 1)))
    end
    bytes['set_' .. name] = function(b, i, x)
      local d = bytesdata(b)
      i, x = opt_int(i, 0), opt_int(x, nil)
      if i < 1 or x == nil then return false end
      return bytes_put(d, i, spack(fmt, x))
    end
    bytes['append_' .. name] = function(b, x)
      local d = bytesdata(b)
      x = opt_int(x, nil)
      if x == nil then return false end
      return bytes_put(d, d.n + 1, spack(fmt, x))
    end
  end
end
int_accessors('int16', '>i2', '<i2', 2)
int_accessors('int32', '>i4', '<i4', 4)
int_accessors('int64', '>i8', '<i8', 8)

local function varint(x)
  local out = {}
  x = x & 0xFFFFFFFF
  repeat
    local byte = x & 0x7F
    x = x >> 7
    if x ~= 0 then byte = byte | 0x80 end
    out[#out + 1] = schar(byte)
  until x == 0
  return tconcat(out)
end
function bytes.get_var_int(b, i)
  local d = bytesdata(b)
  i = opt_int(i, 0)
  local x, shift, used = 0, 0, 0
  while i >= 1 and i <= d.n do
    local byte = d.v[i]
    x = x | ((byte & 0x7F) << shift)
    used = used + 1
    if byte & 0x80 == 0 then return x, used end
    shift = shift + 7
    i = i + 1
  end
  return 0, 0
end
function bytes.set_var_int(b, i, x)
  local d = bytesdata(b)
  i, x = opt_int(i, 0), opt_int(x, nil)
  if i < 1 or x == nil then return 0 end
  local s = varint(x)
  bytes_put(d, i, s)
  return #s
end
function bytes.append_var_int(b, x)
  local d = bytesdata(b)
  x = opt_int(x, nil)
  if x == nil then return 0 end
  local s = varint(x)
  bytes_put(d, d.n + 1, s)
  return #s
end

Bytes.__index = function(b, i) return bytes.get_byte(b, i) end
Bytes.__newindex = function(b, i, v) bytes.set_byte(b, i, v) end
Bytes.__len = function(b) return DATA[b].n end
Bytes.__tostring = function(b)
  local d = DATA[b]
  local hex = {}
  for i = 1, d.n do hex[i] = string.format('%02X', d.v[i] or 0) end
  return 'Bytes(' .. tconcat(hex, ' ') .. ')'
end

-- -- geojson ---------------------------------------------------------------------------
local function new_geojson(text) return box(GeoJSON, { json = text }) end
geojson = setmetatable({}, { __call = function(_, s) return new_geojson(tostring(s)) end })
function geojson.tostring(g) return DATA[g].json end
GeoJSON.__tostring = function(g) return DATA[g].json end

tostring_value = function(v)
  if rawtype(v) == 'string' then return v end
  return tostring(v)
end

-- -- msgpack (Aerospike's dialect) ----------------------------------------------------
local PT_STRING, PT_GEOJSON = 3, 23

local function pack_header(out, n, fix, fixmax, c16, c32)
  if n <= fixmax then out[#out + 1] = schar(fix | n)
  elseif n < 0x10000 then out[#out + 1] = schar(c16) .. spack('>I2', n)
  else out[#out + 1] = schar(c32) .. spack('>I4', n) end
end

local function pack_raw(out, s)
  local n = #s
  if n < 32 then out[#out + 1] = schar(0xA0 | n)
  elseif n < 0x100 then out[#out + 1] = '\xd9' .. schar(n)
  elseif n < 0x10000 then out[#out + 1] = '\xda' .. spack('>I2', n)
  else out[#out + 1] = '\xdb' .. spack('>I4', n) end
  out[#out + 1] = s
end

local function pack_int(out, x)
  if x >= 0 then
    if x < 0x80 then out[#out + 1] = schar(x)
    elseif x < 0x100 then out[#out + 1] = '\xcc' .. schar(x)
    elseif x < 0x10000 then out[#out + 1] = '\xcd' .. spack('>I2', x)
    elseif x < 0x100000000 then out[#out + 1] = '\xce' .. spack('>I4', x)
    else out[#out + 1] = '\xcf' .. spack('>i8', x) end
  else
    if x >= -32 then out[#out + 1] = schar(x & 0xFF)
    elseif x >= -128 then out[#out + 1] = '\xd0' .. spack('>i1', x)
    elseif x >= -32768 then out[#out + 1] = '\xd1' .. spack('>i2', x)
    elseif x >= -2147483648 then out[#out + 1] = '\xd2' .. spack('>i4', x)
    else out[#out + 1] = '\xd3' .. spack('>i8', x) end
  end
end

local RANK = { ['nil'] = 0, boolean = 1, integer = 2, string = 3, List = 4, Map = 5,
               Bytes = 6, float = 7, GeoJSON = 8 }

local function rank_of(v)
  local t = rawtype(v)
  if t == 'number' then return RANK[mtype(v)] end
  if t == 'table' then
    local mt = getmetatable(v)
    return RANK[mt and mt.__name] or 9
  end
  return RANK[t] or 9
end

local function key_less(a, b)
  local ra, rb = rank_of(a), rank_of(b)
  if ra ~= rb then return ra < rb end
  if ra == 1 then return (not a) and b end
  if ra == 2 or ra == 7 or ra == 3 then return a < b end
  if ra == 6 then return bytes_string(DATA[a]) < bytes_string(DATA[b]) end
  return false
end

local pack_value

pack_value = function(out, v)
  local t = rawtype(v)
  if v == nil or v == NIL then out[#out + 1] = '\xc0'
  elseif t == 'boolean' then out[#out + 1] = v and '\xc3' or '\xc2'
  elseif t == 'number' then
    if mtype(v) == 'integer' then pack_int(out, v)
    else out[#out + 1] = '\xcb' .. spack('>d', v) end
  elseif t == 'string' then pack_raw(out, '\x03' .. v)
  elseif t == 'table' then
    local mt = getmetatable(v)
    if mt == List then
      local d = DATA[v]
      pack_header(out, d.n, 0x90, 15, 0xDC, 0xDD)
      for i = 1, d.n do pack_value(out, d.v[i]) end
    elseif mt == Map then
      local d = DATA[v]
      local keys = {}
      for k in pairs(d.v) do keys[#keys + 1] = k end
      tsort(keys, key_less)
      pack_header(out, #keys, 0x80, 15, 0xDE, 0xDF)
      for _, k in ipairs(keys) do pack_value(out, k); pack_value(out, d.v[k]) end
    elseif mt == Bytes then
      local d = DATA[v]
      pack_raw(out, schar(d.t & 0xFF) .. bytes_string(d))
    elseif mt == GeoJSON then
      pack_raw(out, schar(PT_GEOJSON) .. DATA[v].json)
    else
      out[#out + 1] = '\xc0'
    end
  else
    out[#out + 1] = '\xc0'
  end
end

function pack(v)
  local out = {}
  pack_value(out, v)
  return tconcat(out)
end

local unpack_value

local function unpack_raw(s, pos, n)
  if n == 0 then return '', pos end
  local ptype = sbyte(s, pos)
  local body = ssub(s, pos + 1, pos + n - 1)
  if ptype == PT_STRING then return body, pos + n end
  if ptype == PT_GEOJSON then return new_geojson(body), pos + n end
  return new_bytes(body, ptype), pos + n
end

local function unpack_list(s, pos, n)
  local items = {}
  for i = 1, n do
    local v
    v, pos = unpack_value(s, pos)
    if v == nil then v = NIL end
    items[i] = v
  end
  return new_list(items, n), pos
end

local EXT = {}

local function unpack_map(s, pos, n)
  local m = new_map()
  local d = DATA[m]
  for _ = 1, n do
    local k, v
    k, pos = unpack_value(s, pos)
    v, pos = unpack_value(s, pos)
    if k ~= EXT and k ~= nil then
      if v == nil then v = NIL end
      map_set(d, k, v)
    end
  end
  return m, pos
end

unpack_value = function(s, pos)
  local c = sbyte(s, pos)
  if c == nil then return nil, pos end
  pos = pos + 1
  if c < 0x80 then return c, pos end
  if c >= 0xE0 then return c - 0x100, pos end
  if c <= 0x8F then return unpack_map(s, pos, c & 0x0F) end
  if c <= 0x9F then return unpack_list(s, pos, c & 0x0F) end
  if c <= 0xBF then return unpack_raw(s, pos, c & 0x1F) end
  if c == 0xC0 then return nil, pos end
  if c == 0xC2 then return false, pos end
  if c == 0xC3 then return true, pos end
  if c == 0xC4 or c == 0xD9 then local n = sbyte(s, pos); return unpack_raw(s, pos + 1, n) end
  if c == 0xC5 or c == 0xDA then local n = sunpack('>I2', s, pos); return unpack_raw(s, pos + 2, n) end
  if c == 0xC6 or c == 0xDB then local n = sunpack('>I4', s, pos); return unpack_raw(s, pos + 4, n) end
  if c == 0xC7 then local n = sbyte(s, pos); return EXT, pos + 2 + n end
  if c == 0xC8 then local n = sunpack('>I2', s, pos); return EXT, pos + 3 + n end
  if c == 0xC9 then local n = sunpack('>I4', s, pos); return EXT, pos + 5 + n end
  if c == 0xCA then return (sunpack('>f', s, pos)), pos + 4 end
  if c == 0xCB then return (sunpack('>d', s, pos)), pos + 8 end
  if c == 0xCC then return sbyte(s, pos), pos + 1 end
  if c == 0xCD then return (sunpack('>I2', s, pos)), pos + 2 end
  if c == 0xCE then return (sunpack('>I4', s, pos)), pos + 4 end
  if c == 0xCF then return (sunpack('>i8', s, pos)), pos + 8 end
  if c == 0xD0 then return (sunpack('>i1', s, pos)), pos + 1 end
  if c == 0xD1 then return (sunpack('>i2', s, pos)), pos + 2 end
  if c == 0xD2 then return (sunpack('>i4', s, pos)), pos + 4 end
  if c == 0xD3 then return (sunpack('>i8', s, pos)), pos + 8 end
  if c >= 0xD4 and c <= 0xD8 then return EXT, pos + 1 + (1 << (c - 0xD4)) end
  if c == 0xDC then local n = sunpack('>I2', s, pos); return unpack_list(s, pos + 2, n) end
  if c == 0xDD then local n = sunpack('>I4', s, pos); return unpack_list(s, pos + 4, n) end
  if c == 0xDE then local n = sunpack('>I2', s, pos); return unpack_map(s, pos + 2, n) end
  if c == 0xDF then local n = sunpack('>I4', s, pos); return unpack_map(s, pos + 4, n) end
  return nil, pos
end

function unpack(s)
  local v = unpack_value(s, 1)
  if v == EXT or v == NIL then return nil end
  return v
end

-- particles: (type, bytes) of a bin value or UDF result, and back
local PT = { NULL = 0, INTEGER = 1, FLOAT = 2, STRING = 3, BLOB = 4, BOOL = 17, HLL = 18,
             MAP = 19, LIST = 20, GEOJSON = 23 }

function to_particle(v)
  local t = rawtype(v)
  if v == nil or v == NIL then return PT.NULL, '' end
  if t == 'boolean' then return PT.BOOL, v and '\x01' or '\x00' end
  if t == 'number' then
    if mtype(v) == 'integer' then return PT.INTEGER, spack('>i8', v) end
    return PT.FLOAT, spack('>d', v)
  end
  if t == 'string' then return PT.STRING, v end
  if t == 'table' then
    local mt = getmetatable(v)
    if mt == List then return PT.LIST, pack(v) end
    if mt == Map then return PT.MAP, pack(v) end
    if mt == Bytes then local d = DATA[v]; return d.t, bytes_string(d) end
    if mt == GeoJSON then return PT.GEOJSON, '\x00\x00\x00' .. DATA[v].json end
  end
  return nil   -- no Aerospike type (plain tables, functions, records)
end

function from_particle(ptype, s)
  if ptype == PT.NULL then return nil end
  if ptype == PT.INTEGER then
    if #s == 8 then return (sunpack('>i8', s)) end
    return 0
  end
  if ptype == PT.FLOAT then return (sunpack('>d', s)) end
  if ptype == PT.STRING then return s end
  if ptype == PT.BOOL then return sbyte(s, 1) ~= nil and sbyte(s, 1) ~= 0 end
  if ptype == PT.MAP or ptype == PT.LIST then return unpack(s) end
  if ptype == PT.GEOJSON then
    local ncells = sunpack('>I2', s, 2)
    return new_geojson(ssub(s, 4 + 8 * ncells))
  end
  return new_bytes(s, ptype)
end

-- -- record ----------------------------------------------------------------------------
-- A record is bound to a host object (see lua.py RecordBinding) that keeps its state.
local recdata = state_of(Record)
function new_record(host)
  return box(Record, { host = host, cache = {}, dirty = {}, order = {} })
end

Record.__index = function(r, name)
  if rawtype(name) ~= 'string' and rawtype(name) ~= 'number' then return nil end
  name = tostring(name)
  local d = DATA[r]
  local v = d.cache[name]
  if v ~= nil then return unbox(v) end
  local ptype, data = d.host.bin(name)
  if ptype == nil then return nil end
  v = from_particle(ptype, data)
  if v ~= nil then d.cache[name] = v end
  return v
end

Record.__newindex = function(r, name, v)
  if rawtype(name) ~= 'string' and rawtype(name) ~= 'number' then return end
  name = tostring(name)
  local d = DATA[r]
  if v ~= nil and to_particle(v) == nil then
    error('can\'t set bin ' .. name .. ' to unsupported type', 2)
  end
  if d.dirty[name] == nil then d.order[#d.order + 1] = name end
  d.dirty[name] = v == nil and NIL or v
  d.cache[name] = v == nil and NIL or v
end

local function flush(r)
  -- hand the bins set since the last flush to the host, in the order they were set
  local d = DATA[r]
  for _, name in ipairs(d.order) do
    local v = d.dirty[name]
    if v ~= nil then
      local ptype, data = to_particle(unbox(v))
      d.host.set_bin(name, ptype, data)
    end
  end
  d.dirty, d.order = {}, {}
end

record = {}
function record.ttl(r) return recdata(r).host.ttl() end
function record.last_update_time(r) return recdata(r).host.last_update_time() end
function record.gen(r) return recdata(r).host.gen() end
function record.size(r) return recdata(r).host.size() end
record.memory_size = record.size
record.device_size = record.size
function record.key(r)
  local ptype, data = recdata(r).host.key()
  if ptype == nil then return nil end
  return from_particle(ptype, data)
end
function record.setname(r) return recdata(r).host.setname() end
function record.digest(r) return new_bytes(recdata(r).host.digest()) end
function record.numbins(r) return recdata(r).host.numbins() end
function record.bin_names(r)
  local names = recdata(r).host.bin_names()
  local out = {}
  for i = 1, #names do out[i] = names[i] end
  return out
end
function record.set_ttl(r, ttl) recdata(r).host.set_ttl(opt_int(ttl, 0)) end
function record.drop_key(r) recdata(r).host.drop_key() end

-- -- aerospike -------------------------------------------------------------------------
local function new_aerospike(host) return box(Aerospike, { host = host }) end
Aerospike.__index = Aerospike

function Aerospike.create(a, r)
  local d = recdata(r)
  if d.host.exists() then return 1 end
  flush(r)
  return d.host.create()
end
function Aerospike.update(a, r)
  local d = recdata(r)
  flush(r)
  return d.host.update()
end
function Aerospike.exists(a, r)
  if not is(r, Record) then return false end
  return DATA[r].host.exists() and true or false
end
function Aerospike.remove(a, r)
  local d = recdata(r)
  d.cache, d.dirty, d.order = {}, {}, {}
  return d.host.remove()
end
function Aerospike.log(a, level, msg)
  local host = DATA[a].host
  if host then host.log(opt_int(level, 0), msg ~= nil and tostring(msg) or '') end
  return 0
end
function Aerospike.get_current_time(a) return math.floor(os.time() * 1000) end
function Aerospike.set_context(a, r, context) return 0 end
function Aerospike.get_config(a, r, name) return 0 end

function trace(m, ...) return aerospike:log(4, string.format(m, ...)) end
function debug(m, ...) return aerospike:log(3, string.format(m, ...)) end
function info(m, ...) return aerospike:log(2, string.format(m, ...)) end
function warn(m, ...) return aerospike:log(1, string.format(m, ...)) end

function math.sum(a, b) return a + b end
function math.product(a, b) return a * b end

-- -- streams ---------------------------------------------------------------------------
-- A stream UDF receives a StreamOps value and returns it with operations queued. Ops up
-- to and including the first reduce run on the server; the client runs that reduce
-- again on what the nodes sent, then the operations after it.
local SERVER, CLIENT, EITHER, BOTH = 1, 2, 3, 4

stream = {}
local function new_stream(read, write) return box(Stream, { read = read, write = write }) end
function stream.read(s) return DATA[s].read() end
function stream.write(s, v) return DATA[s].write(v) end
function stream.readable(s) return DATA[s].read ~= nil end
function stream.writable(s) return DATA[s].write ~= nil end
Stream.__tostring = function() return 'Stream()' end

local StreamOps = {}
StreamOps.__index = StreamOps

local function queue(self, scope, fn, args)
  self.ops[#self.ops + 1] = { scope = scope, fn = fn, args = args }
  return self
end

local function op_map(next_value, f)
  return function()
    local v = next_value()
    if v ~= nil then return f(v) end
    return nil
  end
end

local function op_filter(next_value, p)
  return function()
    while true do
      local v = next_value()
      if v == nil then return nil end
      if p(v) then return v end
    end
  end
end

local function op_reduce(next_value, f)
  local done = false
  return function()
    if done then return nil end
    done = true
    local acc = next_value()
    if acc == nil then return nil end
    for v in next_value do acc = f(acc, v) end
    return acc
  end
end

local function clone(v)
  if is(v, Map) then return map.clone(v) end
  if is(v, List) then return list.clone(v) end
  if rawtype(v) == 'table' and not BOXES[getmetatable(v)] then
    local out = {}
    for k, x in pairs(v) do out[k] = x end
    return out
  end
  return v
end

local function op_aggregate(next_value, init, f)
  local done = false
  return function()
    if done then return nil end
    local acc = clone(init)
    for v in next_value do
      acc = f(acc, v)
      -- a numeric accumulator reaching 1000 is handed on and a new one started
      if rawtype(acc) == 'number' and acc >= 1000 then return acc end
    end
    done = true
    return acc
  end
end

function StreamOps:map(...) return queue(self, EITHER, op_map, { ... }) end
function StreamOps:filter(...) return queue(self, EITHER, op_filter, { ... }) end
function StreamOps:aggregate(...) return queue(self, SERVER, op_aggregate, { ... }) end
function StreamOps:reduce(...) return queue(self, BOTH, op_reduce, { ... }) end
function StreamOps:groupby(f)
  local function add(m, v)
    local k = f and f(v) or nil
    local l = m[k] or list()
    list.append(l, v)
    m[k] = l
    return m
  end
  local function join(l1, l2)
    local l = list.clone(l1)
    for v in list.iterator(l2) do list.append(l, v) end
    return l
  end
  return self:aggregate(map(), add):reduce(function(a, b) return map.merge(a, b, join) end)
end

local function select_ops(ops, scope)
  local server, client, phase = {}, {}, SERVER
  for _, op in ipairs(ops) do
    if phase == SERVER then
      server[#server + 1] = op
      if op.scope == BOTH then client[#client + 1] = op; phase = CLIENT end
    else
      client[#client + 1] = op
    end
  end
  return scope == CLIENT and client or server
end

-- -- entry points called from Python ------------------------------------------------
local function message_of(err)
  if rawtype(err) == 'string' then return err end
  if rawtype(err) == 'number' then return tostring(err) end
  return nil
end

-- run function `fname` of the loaded module on a record; returns true, type, bytes or
-- false, message
function __apply_record(fname, host, args)
  aerospike = new_aerospike(host)
  local f = _G[fname]
  if f == nil then return false, 'function not found' end
  local r = new_record(host)
  local argv = unpack(args)
  local argn = 0
  local values = {}
  if is(argv, List) then
    local d = DATA[argv]
    argn = d.n
    for i = 1, d.n do values[i] = unbox(d.v[i]) end
  end
  local ok, result = pcall(f, r, table.unpack(values, 1, argn))
  if not ok then return false, message_of(result) end
  local ptype, data = to_particle(result)
  if ptype == nil then return true, PT.NULL, '' end
  return true, ptype, data
end

-- run stream function `fname`: `read()` gives the next input (a record host, or a
-- particle's type and bytes) or nothing at the end; each output goes to `emit(type,
-- bytes)`. Returns true, or false and the error message.
function __apply_stream(fname, scope, host, read, emit, args)
  aerospike = new_aerospike(host)
  local f = _G[fname]
  if f == nil then return false, 'function not found' end
  local argv = unpack(args)
  local values, argn = {}, 0
  if is(argv, List) then
    local d = DATA[argv]
    argn = d.n
    for i = 1, d.n do values[i] = unbox(d.v[i]) end
  end
  local ok, err = pcall(function()
    local ops = StreamOps_create()
    local result = f(ops, table.unpack(values, 1, argn))
    if not is(result, StreamOps) then result = ops end
    local input = function()
      local kind, a, b = read()
      if kind == nil then return nil end
      if kind == 'r' then return new_record(a) end
      return from_particle(a, b)
    end
    local s = input
    for _, op in ipairs(select_ops(result.ops, scope)) do
      s = op.fn(s, table.unpack(op.args)) or s
    end
    for v in s do
      local ptype, data = to_particle(v)
      if ptype == nil then ptype, data = PT.NULL, '' end
      emit(ptype, data)
    end
  end)
  if not ok then return false, message_of(err) end
  return true
end

function StreamOps_create()
  return setmetatable({ ops = {} }, StreamOps)
end
