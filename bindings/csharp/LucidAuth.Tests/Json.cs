// A minimal JSON reader for the tests.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace LucidAuth.Tests
{
    /// <summary>A minimal JSON reader (objects, arrays, strings, numbers, true/false/null) for the tests.</summary>
    internal sealed class Json
    {
        private readonly string text;
        private int pos;

        private Json(string text)
        {
            this.text = text;
        }

        /// <summary>Dictionary&lt;string, object&gt;, List&lt;object&gt;, string, double, bool or null.</summary>
        public static object Parse(string text)
        {
            var json = new Json(text);
            object value = json.Value();
            json.Space();
            if (json.pos != text.Length)
                throw new FormatException("trailing text in JSON at " + json.pos);
            return value;
        }

        public static string Quote(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\')
                    sb.Append('\\').Append(c);
                else if (c < ' ')
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else
                    sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        private void Space()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
                pos++;
        }

        private char Peek()
        {
            Space();
            if (pos >= text.Length)
                throw new FormatException("unexpected end of JSON");
            return text[pos];
        }

        private void Expect(char c)
        {
            if (Peek() != c)
                throw new FormatException("expected '" + c + "' at " + pos);
            pos++;
        }

        private object Value()
        {
            char c = Peek();
            if (c == '{')
            {
                pos++;
                var obj = new Dictionary<string, object>();
                if (Peek() == '}') { pos++; return obj; }
                while (true)
                {
                    string key = String();
                    Expect(':');
                    obj[key] = Value();
                    if (Peek() == ',') { pos++; continue; }
                    Expect('}');
                    return obj;
                }
            }
            if (c == '[')
            {
                pos++;
                var list = new List<object>();
                if (Peek() == ']') { pos++; return list; }
                while (true)
                {
                    list.Add(Value());
                    if (Peek() == ',') { pos++; continue; }
                    Expect(']');
                    return list;
                }
            }
            if (c == '"')
                return String();
            foreach (var literal in new[] { new KeyValuePair<string, object>("true", true),
                                            new KeyValuePair<string, object>("false", false),
                                            new KeyValuePair<string, object>("null", null) })
            {
                if (string.CompareOrdinal(text, pos, literal.Key, 0, literal.Key.Length) == 0)
                {
                    pos += literal.Key.Length;
                    return literal.Value;
                }
            }
            int start = pos;
            while (pos < text.Length && "+-0123456789.eE".IndexOf(text[pos]) >= 0)
                pos++;
            if (start == pos)
                throw new FormatException("unexpected '" + c + "' at " + pos);
            return double.Parse(text.Substring(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        private string String()
        {
            Expect('"');
            var sb = new StringBuilder();
            while (true)
            {
                if (pos >= text.Length)
                    throw new FormatException("unterminated JSON string");
                char c = text[pos++];
                if (c == '"')
                    return sb.ToString();
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                char e = text[pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        sb.Append((char)int.Parse(text.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        pos += 4;
                        break;
                    default: sb.Append(e); break;
                }
            }
        }
    }
}
