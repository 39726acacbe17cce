"""Record what the official client sends for the string expressions and ListJoin.

Run with the official 19.3 client's interpreter, from outside the repository (its
``aerospike_helpers`` must be the official one), against any server (the official client
needs a connected client for ``get_expression_base64``), e.g. our embedded one::

    python -m aerospike_async.testing --port 34517 &
    cd /tmp && /path/to/official-venv/bin/python /path/to/dump_string_exprs.py 34517 > out.json

Every case is Python source evaluated with the names below; the output maps it to the
base64 of the compiled expression. ``test_string_expressions.py`` evaluates the same
source with our helpers and compares.
"""
import json
import sys

CASES = [
    # reads
    "exp.StrLen('s')",
    "exp.StrLen(exp.StrBin('s'))",
    "exp.SubStr(2, 's')",
    "exp.SubStr(-3, 's')",
    "exp.SubStrRange(1, 4, 's')",
    "exp.SubStrRange(-4, -1, exp.StrBin('s'))",
    "exp.CharAt(0, 's')",
    "exp.CharAt(-1, 's')",
    "exp.Find('lo', 1, 's')",
    "exp.Find('é', -1, 's')",
    "exp.Contains('World', 's')",
    "exp.StartsWith('He', 's')",
    "exp.EndsWith('ld', 's')",
    "exp.ToInteger('s')",
    "exp.ToDouble('s')",
    "exp.ByteLength('s')",
    "exp.IsNumeric(NumericType.ANY, 's')",
    "exp.IsNumeric(NumericType.INT, 's')",
    "exp.IsNumeric(NumericType.FLOAT, 's')",
    "exp.IsUpper('s')",
    "exp.IsLower('s')",
    "exp.ToBlob('s')",
    "exp.Split('s')",
    "exp.SplitSeparator(',', 's')",
    "exp.Base64Decode('s')",
    "exp.RegexCompare('^h.*o$', 's')",
    "exp.RegexCompare('^h.*o$', 's', RegexFlags.CASE_INSENSITIVE | RegexFlags.MULTILINE)",
    "exp.ToString('s')",
    "exp.ToString(exp.IntBin('i'))",
    "exp.ToString(exp.FloatBin('f'))",
    "exp.ToString(exp.BlobBin('b'))",
    "exp.ToString(exp.BoolBin('t'))",
    # modifies
    "exp.Insert(StringPolicy(), 2, 'xy', 's')",
    "exp.Insert(StringPolicy(WriteFlags.NO_FAIL), -1, 'é', 's')",
    "exp.Overwrite(StringPolicy(), 1, 'ab', 's')",
    "exp.Append(StringPolicy(), '!', 's')",
    "exp.Append(StringPolicy(WriteFlags.CREATE_ONLY), '!', 's')",
    "exp.Prepend(StringPolicy(), '> ', 's')",
    "exp.Concat(StringPolicy(), ['a', 'b', 'c'], 's')",
    "exp.Concat(StringPolicy(), [], 's')",
    "exp.Snip(StringPolicy(), 1, 3, 's')",
    "exp.Snip(StringPolicy(), 2, None, 's')",
    "exp.Snip(StringPolicy(WriteFlags.NO_FAIL), -2, None, 's')",
    "exp.Replace(StringPolicy(), 'l', 'L', 's')",
    "exp.ReplaceAll(StringPolicy(), 'l', 'L', 's')",
    "exp.Upper(StringPolicy(), 's')",
    "exp.Lower(StringPolicy(), 's')",
    "exp.CaseFold(StringPolicy(), 's')",
    "exp.NormalizeNFC(StringPolicy(), 's')",
    "exp.TrimStart(StringPolicy(), 's')",
    "exp.TrimEnd(StringPolicy(), 's')",
    "exp.Trim(StringPolicy(), 's')",
    "exp.Trim(StringPolicy(WriteFlags.UPDATE_ONLY | WriteFlags.NO_FAIL), 's')",
    "exp.PadStart(StringPolicy(), 8, '0', 's')",
    "exp.PadEnd(StringPolicy(), 8, '-=', 's')",
    "exp.Repeat(StringPolicy(), 3, 's')",
    "exp.RegexReplace(StringPolicy(), 'l+', 'L', RegexFlags.DEFAULT, 's')",
    "exp.RegexReplace(StringPolicy(), 'L', 'x', RegexFlags.GLOBAL | RegexFlags.CASE_INSENSITIVE, 's')",
    # nested operands and combinations
    "exp.Eq(exp.StrLen(exp.Upper(StringPolicy(), 's')), 5)",
    "exp.StartsWith('a', exp.ListGetByIndex(None, aerospike.LIST_RETURN_VALUE, exp.ResultType.STRING, 0, 'l'))",
    "exp.And(exp.Contains('x', 's'), exp.Not(exp.IsNumeric(NumericType.ANY, 's')))",
    "exp.ToInteger(exp.SubStr(1, exp.Trim(StringPolicy(), 's')))",
    # ListJoin
    "exp.ListJoin(None, ',', 'l')",
    "exp.ListJoin(None, None, 'l')",
    "exp.ListJoin(None, '', 'l')",
    "exp.ListJoin(None, ' - ', exp.ListBin('l'))",
    "exp.ListJoin([cdt_ctx.cdt_ctx_list_index(0)], ',', 'l')",
    "exp.ListJoin([cdt_ctx.cdt_ctx_map_key('k')], None, 'm')",
    "exp.StrLen(exp.ListJoin(None, ',', 'l'))",
]

if __name__ == "__main__":
    import aerospike
    from aerospike_helpers import cdt_ctx
    from aerospike_helpers import expressions as exp
    from aerospike_helpers.string_helpers import NumericType, RegexFlags, StringPolicy, WriteFlags
    names = dict(aerospike=aerospike, exp=exp, cdt_ctx=cdt_ctx, NumericType=NumericType,
                 RegexFlags=RegexFlags, StringPolicy=StringPolicy, WriteFlags=WriteFlags)
    client = aerospike.client({"hosts": [("127.0.0.1", int(sys.argv[1]))]}).connect()
    out = {}
    for case in CASES:
        try:
            out[case] = client.get_expression_base64(eval(case, names).compile())
        except Exception as e:  # noqa: BLE001 - recorded as the outcome
            out[case] = {"error": type(e).__name__}
    client.close()
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    print()
