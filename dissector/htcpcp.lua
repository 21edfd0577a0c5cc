-- htcpcp.lua: a Wireshark dissector for HTCPCP, the Hyper Text Coffee Pot
-- Control Protocol (RFC 2324, with the tea extension of RFC 7168), as the
-- coffee-pot lab speaks it. Part of coffeeshark (dissector/README.md).
--
-- One file, no dependency, for Wireshark 3.6 and 4.x (Lua 5.2 API).
--
-- * TCP port 5030 (the lab's pot), a heuristic TCP dissector that recognises
--   HTCPCP by content anywhere, and "HTCPCP" in Decode As.
-- * TCP reassembly: a message is shown on the frame whose segment completes
--   it, as coffeeshark shows it; the frames before say
--   "[TCP segment of a reassembled PDU]".
-- * The same htcpcp.* field names, types and meanings as coffeeshark's
--   registry (`coffeeshark fields htcpcp`), so that a display filter means
--   the same in both tools.
--
-- It follows coffeeshark's own dissector (src/dissect/: detect, the HTTP
-- message parser, htcpcp::interpret, and the htcpcp layer of the field
-- tree); tests/lua_dissector.rs runs it under tshark and compares every
-- htcpcp.* field and the Protocol and Info columns with `coffeeshark read`.
--
-- Install: `coffeeshark dissector install`, or copy this file into
-- Wireshark's personal Lua plugins folder (Help > About Wireshark > Folders).

-- luacheck: std lua52
-- luacheck: read globals Proto ProtoField ProtoExpert Field DissectorTable
-- luacheck: read globals base frametype expert NSTime DESEGMENT_ONE_MORE_SEGMENT
-- luacheck: read globals set_plugin_info

local byte, sub, find, char, concat = string.byte, string.sub, string.find, string.char, table.concat

----------------------------------------------------------------------------
-- The lab's facts (../shared/LAB.md; src/dissect/htcpcp.rs)
----------------------------------------------------------------------------

local POT_PORT = 5030
local HOST = "ducky"
local COMMAND_CONTENT_TYPE = "application/coffee-pot-command"

-- "coffee" in RFC 7168's languages, percent-encoded as the lab lists them;
-- compared percent-decoded and ASCII case-insensitively.
local COFFEE_SCHEMES = {
    "koffie", "q%C3%A6hv%C3%A6", "%D9%82%D9%87%D9%88%D8%A9", "akeita", "koffee",
    "kahva", "kafe", "caf%C3%E8", "%E5%92%96%E5%95%A1", "kava", "k%C3%A1va",
    "kaffe", "coffee", "kafo", "kohv", "kahvi", "%4Baffee",
    "%CE%BA%CE%B1%CF%86%CE%AD", "%E0%A4%95%E0%A5%8C%E0%A4%AB%E0%A5%80",
    "%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC", "%EC%BB%A4%ED%94%BC",
    "%D0%BA%D0%BE%D1%84%D0%B5", "%E0%B8%81%E0%B8%B2%E0%B9%81%E0%B8%9F",
}

-- Accept-Additions keys the pot accepts, with their labels.
local ADDITIONS = {
    { "cream", "Cream" }, { "half-and-half", "Half-and-half" },
    { "whole-milk", "Whole milk" }, { "part-skim", "Part skimmed milk" },
    { "skim", "Skimmed milk" }, { "non-dairy", "Non-dairy milk" },
    { "vanilla", "Vanilla syrup" }, { "almond", "Almond syrup" },
    { "raspberry", "Raspberry syrup" }, { "chocolate", "Chocolate syrup" },
    { "whisky", "Whisky" }, { "rum", "Rum" }, { "kahlua", "Kahlua" },
    { "aquavit", "Aquavit" }, { "oat milk", "Oat milk" },
    { "soya milk", "Soya milk" }, { "coconut milk", "Coconut milk" },
    { "almond milk", "Almond milk" },
}

local KNOWN_METHODS = { BREW = true, POST = true, GET = true, PROPFIND = true, WHEN = true }
local HTCPCP_METHODS = { BREW = true, WHEN = true, PROPFIND = true }

-- The lab's meaning of each status code the pot sends.
local STATUS_MEANING = {
    [200] = "success",
    [400] = "scheme not accepted, or a BREW body that is neither start nor stop",
    [404] = "host is not ducky",
    [406] = "an addition not in the list (the body lists the accepted ones), or the pot is busy",
    [415] = "Content-Type is not application/coffee-pot-command",
    [418] = "Use-Pot: tea",
    [501] = "unknown method",
    [503] = "the pot is unavailable",
}

-- coffeeshark's caps (src/dissect/http.rs).
local MAX_HEAD = 64 * 1024
local MAX_BODY = 1024 * 1024
local MAX_CHUNK_LINE = 1024
local MAX_UNANSWERED = 1024
local MAX_JSON_DEPTH = 32
-- TCP's "reassemble until FIN" (packet-tcp.h), not exported to Lua.
local DESEGMENT_UNTIL_FIN = 0x0ffffffe

----------------------------------------------------------------------------
-- Text helpers
----------------------------------------------------------------------------

local function ascii_lower(s)
    return (s:gsub("[A-Z]", function(c) return char(byte(c) + 32) end))
end

-- Rust's str::trim on ASCII whitespace (what header values hold).
local function trim(s)
    return (s:gsub("^[ \t\r\n\v\f]+", ""):gsub("[ \t\r\n\v\f]+$", ""))
end

-- SP, HTAB and CR at both ends (http.rs trim_ws).
local function trim_ws(s)
    return (s:gsub("^[ \t\r]+", ""):gsub("[ \t\r]+$", ""))
end

local REPLACEMENT = "\239\191\189" -- U+FFFD

-- String::from_utf8_lossy: every maximal invalid subsequence becomes U+FFFD.
local function utf8_lossy(s)
    if not find(s, "[\128-\255]") then
        return s
    end
    local out, n, i = {}, #s, 1
    while i <= n do
        local c = byte(s, i)
        if c < 0x80 then
            local j = find(s, "[\128-\255]", i) or (n + 1)
            out[#out + 1] = sub(s, i, j - 1)
            i = j
        else
            local need, lo, hi = nil, 0x80, 0xBF
            if c >= 0xC2 and c <= 0xDF then need = 1
            elseif c == 0xE0 then need, lo = 2, 0xA0
            elseif (c >= 0xE1 and c <= 0xEC) or c == 0xEE or c == 0xEF then need = 2
            elseif c == 0xED then need, hi = 2, 0x9F
            elseif c == 0xF0 then need, lo = 3, 0x90
            elseif c >= 0xF1 and c <= 0xF3 then need = 3
            elseif c == 0xF4 then need, hi = 3, 0x8F
            end
            if not need then
                out[#out + 1] = REPLACEMENT
                i = i + 1
            else
                local ok = true
                for k = 1, need do
                    local b = byte(s, i + k)
                    local l, h = 0x80, 0xBF
                    if k == 1 then l, h = lo, hi end
                    if not b or b < l or b > h then
                        out[#out + 1] = REPLACEMENT
                        i = i + k
                        ok = false
                        break
                    end
                end
                if ok then
                    out[#out + 1] = sub(s, i, i + need)
                    i = i + need + 1
                end
            end
        end
    end
    return concat(out)
end

-- Valid UTF-8 is exactly what the lossy reading leaves unchanged.
local function is_valid_utf8(s)
    return utf8_lossy(s) == s
end

-- Control characters as tshark's details show them.
local function escape_label(s)
    return (s:gsub("[\r\n\t]", { ["\r"] = "\\r", ["\n"] = "\\n", ["\t"] = "\\t" }))
end

-- RFC 3986 §2.1; a % not followed by two hex digits is kept.
local function percent_decode(s)
    return (s:gsub("%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

local DECODED_SCHEMES = {}
for i, s in ipairs(COFFEE_SCHEMES) do
    DECODED_SCHEMES[i] = ascii_lower(percent_decode(s))
end

local function is_coffee_scheme(scheme)
    local d = scheme
    if find(scheme, "%", 1, true) then
        d = percent_decode(scheme)
    end
    d = ascii_lower(d)
    for _, s in ipairs(DECODED_SCHEMES) do
        if s == d then
            return true
        end
    end
    return false
end

-- `кофе` for `%D0%BA%D0%BE%D1%84%D0%B5`; as sent when the decoded bytes are
-- not UTF-8 (`caf%C3%E8`).
local function display_scheme(raw)
    local d = percent_decode(raw)
    if is_valid_utf8(d) then
        return d
    end
    return raw
end

-- The scheme of an absolute URI (`coffee://ducky` -> `coffee`).
local function scheme_of(target)
    local at = find(target, "://", 1, true)
    if not at or at == 1 then
        return nil
    end
    local scheme = sub(target, 1, at - 1)
    if find(scheme, "/", 1, true) then
        return nil
    end
    return scheme
end

----------------------------------------------------------------------------
-- Start lines (http.rs read_start_line; mod.rs detect)
----------------------------------------------------------------------------

-- RFC 9110 token characters (ASCII only, whatever the locale).
local TCHAR = "[0-9A-Za-z!#%$%%&'%*%+%-%.%^_`|~]"

-- `HTTP/1.x` (major 1 only) or `HTCPCP/x.y`, the whole of `s`.
local function parse_version(s)
    local proto, ma = s:match("^(HTTP)/(%d)%.%d$")
    if not proto then
        proto, ma = s:match("^(HTCPCP)/(%d)%.%d$")
    end
    if not proto or (proto == "HTTP" and ma ~= "1") then
        return nil
    end
    return { htcpcp = proto == "HTCPCP", text = s }
end

-- A request or status line (no line end), or nil.
local function read_start_line(line)
    if sub(line, 1, 5) == "HTTP/" or sub(line, 1, 7) == "HTCPCP/" then
        local sp = (byte(line, 3) == 84) and 9 or 11 -- 'T': HTTP/x.y
        if byte(line, sp) ~= 32 then
            return nil
        end
        local version = parse_version(sub(line, 1, sp - 1))
        if not version then
            return nil
        end
        local rest = sub(line, sp + 1)
        local code, reason = rest:match("^([1-9]%d%d) (.*)$")
        if not code then
            code, reason = rest:match("^([1-9]%d%d)$"), ""
        end
        if not code then
            return nil
        end
        return { response = true, version = version, code = tonumber(code), reason = reason }
    end
    local method = line:match("^" .. TCHAR .. "+")
    if not method or byte(line, #method + 1) ~= 32 then
        return nil
    end
    local rest = sub(line, #method + 2)
    local ctl = find(rest, "[%z\1-\32\127]")
    if not ctl or ctl == 1 or byte(rest, ctl) ~= 32 then
        return nil
    end
    local version = parse_version(sub(rest, ctl + 1))
    if not version then
        return nil
    end
    return { request = true, method = method, target = sub(rest, 1, ctl - 1), version = version }
end

local function is_htcpcp_request(method, target)
    if HTCPCP_METHODS[method] then
        return true
    end
    if byte(target, 1) == 47 then -- '/'
        return false
    end
    local scheme = scheme_of(target)
    return scheme ~= nil and is_valid_utf8(scheme) and is_coffee_scheme(scheme)
end

-- A TLS record header (tls.rs looks_like_record).
local function looks_like_tls(buf)
    if #buf < 5 then
        return false
    end
    local t, v1, v2, l1, l2 = byte(buf, 1, 5)
    return t >= 20 and t <= 24 and v1 == 3 and v2 <= 4 and l1 * 256 + l2 <= 16384 + 2048
end

-- dissect::detect on the first line of a direction: "htcpcp", "http", or
-- nil (not HTTP/HTCPCP, or TLS).
local function detect(buf)
    if looks_like_tls(buf) then
        return nil
    end
    local nl = find(buf, "\n", 1, true)
    local line = nl and sub(buf, 1, nl - 1) or buf
    line = line:gsub("\r$", "")
    local s = read_start_line(line)
    if not s then
        return nil
    end
    if s.version.htcpcp or (s.request and is_htcpcp_request(s.method, s.target)) then
        return "htcpcp"
    end
    return "http"
end

-- Whether an unfinished first line could still become a start line.
local function could_be_start(buf)
    if #buf == 0 or find(buf, "[%z\1-\8\10-\12\14-\31\127]") then
        return false
    end
    return buf:match("^" .. TCHAR) ~= nil
end

----------------------------------------------------------------------------
-- Heads: header lines, framing (http.rs MessageParser)
----------------------------------------------------------------------------

-- Where a head that starts at `p` ends (index of its last byte): the first
-- empty line. `empty_ok`: a block that is only a blank line (trailers).
local function find_head_end(buf, p, empty_ok)
    local i = find(buf, "\n", p, true)
    while i do
        local prev = i > p and byte(buf, i - 1) or nil
        local prev2 = i > p + 1 and byte(buf, i - 2) or nil
        if (prev == nil and empty_ok) or prev == 10
            or (prev == 13 and ((prev2 == nil and empty_ok) or prev2 == 10)) then
            return i
        end
        i = find(buf, "\n", i + 1, true)
    end
    return nil
end

-- One header line as httparse reads it: name, value; nil if malformed.
local function parse_header_line(line)
    local name, rest = line:match("^(" .. TCHAR .. "+):(.*)$")
    if not name then
        return nil
    end
    if find(rest, "[%z\1-\8\10-\31\127]") then
        return nil
    end
    return name, (rest:gsub("^[ \t]+", ""):gsub("[ \t]+$", ""))
end

-- `127.0.0.1/x/Content-Type: text/html`: headers joined by '/'.
local function looks_joined(value)
    for rest in value:gmatch("/([A-Z][%a%-]*):") do
        if #rest >= 2 then
            return true
        end
    end
    return false
end

-- The header lines of `block` (CR LF or LF ends), into msg.headers.
local function parse_headers(block, msg)
    for raw in block:gmatch("([^\n]*)\n?") do
        local line = raw:gsub("\r$", "")
        if line ~= "" then
            local name, value = parse_header_line(line)
            if name then
                msg.headers[#msg.headers + 1] = { name = name, value = value }
            else
                msg.notes[#msg.notes + 1] = { "malformed_header", utf8_lossy(sub(line, 1, 200)) }
            end
        end
    end
    for _, h in ipairs(msg.headers) do
        if looks_joined(h.value) then
            msg.notes[#msg.notes + 1] = { "headers_joined", h.name }
            break
        end
    end
end

local function header(msg, name)
    name = ascii_lower(name)
    for _, h in ipairs(msg.headers) do
        if ascii_lower(h.name) == name then
            return h.value
        end
    end
    return nil
end

-- Content-Type without parameters, as sent; nil when absent or empty.
local function media_type(msg)
    local ct = header(msg, "Content-Type")
    if not ct then
        return nil
    end
    local t = trim((ct:match("^[^;]*")))
    if t == "" then
        return nil
    end
    return t
end

local function parse_decimal(s)
    if #s == 0 or #s > 19 or find(s, "%D") then
        return nil
    end
    return tonumber(s)
end

-- RFC 9112 §6.3, as coffeeshark frames bodies: "none", "length" (n),
-- "chunked" or "close".
local function framing(msg, role, head_request)
    local s = msg.start
    if s.response then
        if s.code >= 100 and s.code < 200 then
            return "none"
        end
        if head_request or s.code == 204 or s.code == 304 then
            return "none"
        end
    end
    local te, cls = nil, {}
    for _, h in ipairs(msg.headers) do
        local n = ascii_lower(h.name)
        if n == "transfer-encoding" and not te then
            te = h.value
        elseif n == "content-length" then
            cls[#cls + 1] = h.value
        end
    end
    if te then
        if #cls > 0 then
            msg.notes[#msg.notes + 1] = { "length_and_encoding" }
        end
        local last = te:match("([^,]*)$") or ""
        if ascii_lower(trim_ws(last)) == "chunked" then
            return "chunked"
        end
        if role == "request" then
            msg.notes[#msg.notes + 1] = { "unknown_encoding" }
        end
        return "close"
    end
    if #cls > 0 then
        local value, bad = nil, false
        for _, v in ipairs(cls) do
            for part in (v .. ","):gmatch("([^,]*),") do
                local n = parse_decimal(trim_ws(part))
                if n and (value == nil or value == n) then
                    value = n
                else
                    bad = true
                end
            end
        end
        if not bad and value then
            return "length", value
        end
        msg.notes[#msg.notes + 1] = { "bad_content_length" }
        return "close"
    end
    if role == "response" then
        return "close"
    end
    if s.request and (s.method == "BREW" or s.method == "POST") then
        return "close"
    end
    return "none"
end

local function set_body(msg, bytes)
    msg.body_len = #bytes
    if #bytes > MAX_BODY then
        msg.notes[#msg.notes + 1] = { "body_truncated" }
        bytes = sub(bytes, 1, MAX_BODY)
    end
    msg.body = bytes
end

-- A chunked body from `p`: the de-chunked body and where the message ends,
-- or nil when more bytes are needed; "close" after a malformed chunk line.
local function read_chunked(buf, p, msg)
    local parts = {}
    while true do
        local nl = find(buf, "\n", p, true)
        local limit = MAX_CHUNK_LINE + 1
        if not nl then
            if #buf - p + 1 > limit then
                msg.notes[#msg.notes + 1] = { "bad_chunk" }
                return concat(parts), nil, "close", p
            end
            return nil
        end
        if nl - p + 1 > limit then
            msg.notes[#msg.notes + 1] = { "bad_chunk" }
            return concat(parts), nil, "close", p
        end
        local line = sub(buf, p, nl - 1):gsub("\r$", "")
        local size = trim_ws(line:match("^[^;]*"))
        p = nl + 1
        if #size == 0 or #size > 15 or find(size, "%X") then
            msg.notes[#msg.notes + 1] = { "bad_chunk" }
            return concat(parts), nil, "close", p
        end
        local n = tonumber(size, 16)
        if n == 0 then
            local e = find_head_end(buf, p, true)
            if not e then
                if #buf - p + 1 >= MAX_HEAD then
                    msg.notes[#msg.notes + 1] = { "head_too_large" }
                    return concat(parts), nil, "close", #buf + 1
                end
                return nil
            end
            local trailers = { headers = {}, notes = msg.notes }
            parse_headers(sub(buf, p, e), trailers)
            return concat(parts), e
        end
        if #buf - p + 1 < n then
            return nil
        end
        parts[#parts + 1] = sub(buf, p, p + n - 1)
        p = p + n
        -- CR LF after the data; anything else is read as the next size line.
        if byte(buf, p) == 13 then
            p = p + 1
        end
        if p > #buf then
            return nil
        end
        if byte(buf, p) == 10 then
            p = p + 1
        else
            msg.notes[#msg.notes + 1] = { "bad_chunk" }
        end
    end
end

-- Reads one message of a direction from buf[p..]. `ctx`: role ("request"
-- or "response"), fin (this frame ends the direction), head_request (the
-- request it answers was a HEAD).
-- Returns "skip", n | "more", need, info_line | "msg", msg, stop.
local function parse_message(buf, p, ctx)
    local n = #buf
    local skip = buf:match("^[\r\n]+", p)
    if skip then
        return "skip", #skip
    end
    local msg = { from = p, headers = {}, notes = {}, body = "", body_len = 0, complete = true }
    local function until_close(body_from, line)
        if ctx.fin then
            set_body(msg, sub(buf, body_from))
            return "msg", msg, n
        end
        return "more", DESEGMENT_UNTIL_FIN, line
    end
    local first = byte(buf, p)
    if ctx.role == "response" and (first == 123 or first == 91) then -- { [
        msg.start = { none = true }
        msg.notes[#msg.notes + 1] = { "no_status_line" }
        msg.head_len = 0
        return until_close(p, nil)
    end
    local nl = find(buf, "\n", p, true)
    if nl then
        local line = sub(buf, p, nl - 1):gsub("\r$", "")
        msg.start = read_start_line(line)
        if not msg.start then
            msg.start = { invalid = true, line = sub(line, 1, 256) }
            msg.notes[#msg.notes + 1] = { "not_http" }
            msg.head_len = 0
            return until_close(p, nil)
        end
    end
    local e = find_head_end(buf, p, false)
    if e and e - p + 1 > MAX_HEAD then
        e = nil
    end
    if not e then
        local cut = n - p + 1 >= MAX_HEAD
        if not ctx.fin and not cut then
            local line
            if msg.start then
                line = utf8_lossy((sub(buf, p, nl - 1):gsub("\r$", ""))) .. " "
            end
            return "more", DESEGMENT_ONE_MORE_SEGMENT, line
        end
        -- The direction ended (or the head outgrew its cap) inside the head.
        local stop = cut and math.min(n, p + MAX_HEAD - 1) or n
        local head = sub(buf, p, stop)
        if not msg.start then
            local l = head:gsub("\r$", "")
            msg.start = read_start_line(l) or { invalid = true, line = sub(l, 1, 256) }
            if msg.start.invalid then
                msg.notes[#msg.notes + 1] = { "not_http" }
            end
        end
        local hnl = find(head, "\n", 1, true)
        if hnl then
            parse_headers(sub(head, hnl + 1), msg)
        end
        msg.head_len = #head
        if cut then
            msg.notes[#msg.notes + 1] = { "head_too_large" }
            return until_close(stop + 1, nil)
        end
        msg.notes[#msg.notes + 1] = { "incomplete" }
        msg.complete = false
        return "msg", msg, n
    end
    parse_headers(sub(buf, nl + 1, e), msg)
    msg.head_len = e - p + 1
    local line = utf8_lossy((sub(buf, p, nl - 1):gsub("\r$", ""))) .. " "
    local kind, len = framing(msg, ctx.role, ctx.head_request)
    local body_from = e + 1
    if kind == "none" or (kind == "length" and len == 0) then
        return "msg", msg, e
    elseif kind == "length" then
        local have = n - body_from + 1
        if have >= len then
            set_body(msg, sub(buf, body_from, body_from + len - 1))
            return "msg", msg, body_from + len - 1
        end
        if ctx.fin then
            set_body(msg, sub(buf, body_from))
            msg.notes[#msg.notes + 1] = { "incomplete" }
            msg.complete = false
            return "msg", msg, n
        end
        local need = len - have
        if need > 0x0ffffffd then
            need = DESEGMENT_UNTIL_FIN
        end
        return "more", need, line
    elseif kind == "chunked" then
        local body, stop, close, rest = read_chunked(buf, body_from, msg)
        if close then
            if ctx.fin then
                set_body(msg, body .. sub(buf, rest))
                return "msg", msg, n
            end
            return "more", DESEGMENT_UNTIL_FIN, line
        end
        if not body then
            if ctx.fin then
                msg.notes[#msg.notes + 1] = { "incomplete" }
                msg.complete = false
                return "msg", msg, n
            end
            return "more", DESEGMENT_ONE_MORE_SEGMENT, line
        end
        set_body(msg, body)
        return "msg", msg, stop
    end
    -- Close-delimited. The lab's web app sends BREW with no Content-Length:
    -- its body is what came with the head (coffeeshark: the request ends
    -- at the end of the segment that brought body bytes, or when the pot
    -- answers).
    if msg.start.request and body_from <= n then
        set_body(msg, sub(buf, body_from))
        return "msg", msg, n
    end
    if msg.start.request and not ctx.fin then
        return "more", DESEGMENT_ONE_MORE_SEGMENT, line
    end
    return until_close(body_from, line)
end

----------------------------------------------------------------------------
-- JSON bodies, shown as coffeeshark shows them (serde_json, key order kept)
----------------------------------------------------------------------------

local json_value

local function json_ws(s, i)
    return (find(s, "[^ \t\r\n]", i) or (#s + 1))
end

local function utf8_char(cp)
    if cp < 0x80 then
        return char(cp)
    elseif cp < 0x800 then
        return char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64)
    elseif cp < 0x10000 then
        return char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    return char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
        0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local JSON_ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function json_string(s, i)
    local out = {}
    i = i + 1
    while true do
        local j = find(s, '["\\%z\1-\31]', i)
        if not j then
            return nil
        end
        out[#out + 1] = sub(s, i, j - 1)
        local c = sub(s, j, j)
        if c == '"' then
            return concat(out), j + 1
        elseif c ~= "\\" then
            return nil
        end
        local e = sub(s, j + 1, j + 1)
        if JSON_ESCAPES[e] then
            out[#out + 1] = JSON_ESCAPES[e]
            i = j + 2
        elseif e == "u" then
            local h = s:match("^%x%x%x%x", j + 2)
            if not h then
                return nil
            end
            local cp = tonumber(h, 16)
            i = j + 6
            if cp >= 0xD800 and cp <= 0xDBFF then
                local l = s:match("^\\u(%x%x%x%x)", i)
                local lo = l and tonumber(l, 16)
                if not lo or lo < 0xDC00 or lo > 0xDFFF then
                    return nil
                end
                cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
                i = i + 6
            elseif cp >= 0xDC00 and cp <= 0xDFFF then
                return nil
            end
            out[#out + 1] = utf8_char(cp)
        else
            return nil
        end
    end
end

-- serde_json's Display of a number (integers as written, floats in their
-- shortest form with a ".0" when whole).
local function json_number_text(tok)
    if not find(tok, "[.eE]") then
        local v = tonumber(tok)
        if v and math.abs(v) < 2 ^ 53 then
            return tok
        end
    end
    local v = tonumber(tok)
    if not v then
        return tok
    end
    if v == math.floor(v) and math.abs(v) < 1e16 then
        return string.format("%.1f", v)
    end
    for prec = 1, 17 do
        local t = string.format("%." .. prec .. "g", v)
        if tonumber(t) == v then
            return t
        end
    end
    return tok
end

-- Parses a JSON value at s[i]: value, next index (nil on error). Values:
-- { kind = "object", keys = {...}, map = {...} }, { kind = "array", ... },
-- { kind = "string", text }, { kind = "lit", text }.
json_value = function(s, i, depth)
    if depth > 127 then
        return nil
    end
    i = json_ws(s, i)
    local c = sub(s, i, i)
    if c == "{" then
        local v = { kind = "object", keys = {}, map = {} }
        i = json_ws(s, i + 1)
        if sub(s, i, i) == "}" then
            return v, i + 1
        end
        while true do
            if sub(s, i, i) ~= '"' then
                return nil
            end
            local k
            k, i = json_string(s, i)
            if not k then
                return nil
            end
            i = json_ws(s, i)
            if sub(s, i, i) ~= ":" then
                return nil
            end
            local x
            x, i = json_value(s, i + 1, depth + 1)
            if not x then
                return nil
            end
            if v.map[k] == nil then
                v.keys[#v.keys + 1] = k
            end
            v.map[k] = x
            i = json_ws(s, i)
            local d = sub(s, i, i)
            if d == "}" then
                return v, i + 1
            elseif d ~= "," then
                return nil
            end
            i = json_ws(s, i + 1)
        end
    elseif c == "[" then
        local v = { kind = "array", items = {} }
        i = json_ws(s, i + 1)
        if sub(s, i, i) == "]" then
            return v, i + 1
        end
        while true do
            local x
            x, i = json_value(s, i, depth + 1)
            if not x then
                return nil
            end
            v.items[#v.items + 1] = x
            i = json_ws(s, i)
            local d = sub(s, i, i)
            if d == "]" then
                return v, i + 1
            elseif d ~= "," then
                return nil
            end
            i = i + 1
        end
    elseif c == '"' then
        local t, j = json_string(s, i)
        if not t then
            return nil
        end
        return { kind = "string", text = t }, j
    end
    for _, lit in ipairs({ "true", "false", "null" }) do
        if sub(s, i, i + #lit - 1) == lit then
            return { kind = "lit", text = lit }, i + #lit
        end
    end
    local num = s:match("^%-?0[%.eE]?[%d%.eE%+%-]*", i) or s:match("^%-?[1-9][%d%.eE%+%-]*", i)
    if num then
        local ok = num:match("^%-?%d+%.?%d*[eE]?[%+%-]?%d*$")
        if ok and not num:match("%.$") and not num:match("%.[eE]") and not num:match("[eE][%+%-]?$")
            and not num:match("^%-?0%d") then
            return { kind = "lit", text = json_number_text(num) }, i + #num
        end
    end
    return nil
end

local function parse_json(body)
    if not is_valid_utf8(body) then
        return nil
    end
    local ok, v, i = pcall(json_value, body, 1, 0)
    if not ok or not v or json_ws(body, i) <= #body then
        return nil
    end
    return v
end

local function json_tree(tree, range, key, v, depth)
    key = escape_label(key)
    if v.kind == "object" then
        local node = tree:add(range, string.format("%s: Object (%d members)", key, #v.keys))
        if depth < MAX_JSON_DEPTH then
            for _, k in ipairs(v.keys) do
                json_tree(node, range, k, v.map[k], depth + 1)
            end
        end
    elseif v.kind == "array" then
        local node = tree:add(range, string.format("%s: Array (%d items)", key, #v.items))
        if depth < MAX_JSON_DEPTH then
            for i, x in ipairs(v.items) do
                json_tree(node, range, "[" .. (i - 1) .. "]", x, depth + 1)
            end
        end
    elseif v.kind == "string" then
        tree:add(range, string.format('%s: "%s"', key, escape_label(v.text)))
    else
        tree:add(range, key .. ": " .. v.text)
    end
end

----------------------------------------------------------------------------
-- Protocol, fields (coffeeshark's htcpcp.* registry) and expert infos
----------------------------------------------------------------------------

local htcpcp = Proto("htcpcp", "Hyper Text Coffee Pot Control Protocol")

local function framenum_field(abbr, name, kind)
    if frametype and frametype[kind] then
        return ProtoField.framenum(abbr, name, base.NONE, frametype[kind])
    end
    return ProtoField.framenum(abbr, name, base.NONE)
end

local hf = {
    request = ProtoField.bool("htcpcp.request", "Request", base.NONE),
    response = ProtoField.bool("htcpcp.response", "Response", base.NONE),
    method = ProtoField.string("htcpcp.request.method", "Request Method"),
    uri = ProtoField.string("htcpcp.request.uri", "Request URI"),
    scheme = ProtoField.string("htcpcp.request.scheme", "URI scheme"),
    pot = ProtoField.string("htcpcp.request.pot", "Pot"),
    req_version = ProtoField.string("htcpcp.request.version", "Request Version"),
    resp_version = ProtoField.string("htcpcp.response.version", "Response Version"),
    code = ProtoField.uint16("htcpcp.response.code", "Status Code", base.DEC),
    phrase = ProtoField.string("htcpcp.response.phrase", "Response Phrase"),
    accept_additions = ProtoField.string("htcpcp.accept_additions", "Accept-Additions"),
    addition = ProtoField.string("htcpcp.addition", "Addition"),
    addition_accepted = ProtoField.bool("htcpcp.addition.accepted", "Addition in the lab's list", base.NONE),
    use_pot = ProtoField.string("htcpcp.use_pot", "Use-Pot"),
    content_type = ProtoField.string("htcpcp.content_type", "Content-Type"),
    request_in = framenum_field("htcpcp.request_in", "Request in frame", "REQUEST"),
    response_in = framenum_field("htcpcp.response_in", "Response in frame", "RESPONSE"),
    request_number = ProtoField.uint32("htcpcp.request_number", "Request number", base.DEC),
    response_number = ProtoField.uint32("htcpcp.response_number", "Response number", base.DEC),
    prev_request_in = framenum_field("htcpcp.prev_request_in", "Prev request in frame", "NONE"),
    prev_response_in = framenum_field("htcpcp.prev_response_in", "Prev response in frame", "NONE"),
    time = ProtoField.relative_time("htcpcp.time", "Time since request"),
    body = ProtoField.string("htcpcp.body", "Body"),
}
htcpcp.fields = {
    hf.request, hf.response, hf.method, hf.uri, hf.scheme, hf.pot, hf.req_version,
    hf.resp_version, hf.code, hf.phrase, hf.accept_additions, hf.addition,
    hf.addition_accepted, hf.use_pot, hf.content_type, hf.request_in, hf.response_in,
    hf.request_number, hf.response_number, hf.prev_request_in, hf.prev_response_in,
    hf.time, hf.body,
}

local ef = {
    not_http = ProtoExpert.new("htcpcp.expert.not_start_line", "Not a request or status line",
        expert.group.MALFORMED, expert.severity.WARN),
    malformed_header = ProtoExpert.new("htcpcp.expert.malformed_header", "Malformed header line",
        expert.group.MALFORMED, expert.severity.WARN),
    headers_joined = ProtoExpert.new("htcpcp.expert.headers_joined",
        "A header value looks like several headers joined by '/'",
        expert.group.PROTOCOL, expert.severity.WARN),
    no_status_line = ProtoExpert.new("htcpcp.expert.no_status_line", "No status line: a bare body",
        expert.group.PROTOCOL, expert.severity.NOTE),
    head_too_large = ProtoExpert.new("htcpcp.expert.head_too_large", "Head longer than 65536 bytes",
        expert.group.MALFORMED, expert.severity.WARN),
    body_truncated = ProtoExpert.new("htcpcp.expert.body_truncated",
        "Body longer than 1048576 bytes: the rest is not kept",
        expert.group.PROTOCOL, expert.severity.NOTE),
    incomplete = ProtoExpert.new("htcpcp.expert.incomplete", "The stream ended before the message did",
        expert.group.MALFORMED, expert.severity.NOTE),
    bad_chunk = ProtoExpert.new("htcpcp.expert.bad_chunk", "Malformed chunked encoding",
        expert.group.MALFORMED, expert.severity.WARN),
    bad_content_length = ProtoExpert.new("htcpcp.expert.bad_content_length", "Invalid Content-Length",
        expert.group.MALFORMED, expert.severity.WARN),
    length_and_encoding = ProtoExpert.new("htcpcp.expert.length_and_encoding",
        "Both Transfer-Encoding and Content-Length: Content-Length ignored",
        expert.group.PROTOCOL, expert.severity.WARN),
    unknown_encoding = ProtoExpert.new("htcpcp.expert.unknown_encoding",
        "Unknown Transfer-Encoding on a request", expert.group.PROTOCOL, expert.severity.WARN),
    unknown_addition = ProtoExpert.new("htcpcp.expert.unknown_addition",
        "Addition not in the lab's list: the pot answers 406",
        expert.group.PROTOCOL, expert.severity.WARN),
    unknown_method = ProtoExpert.new("htcpcp.expert.unknown_method",
        "Method unknown to HTCPCP: the pot answers 501", expert.group.PROTOCOL, expert.severity.NOTE),
    bad_scheme = ProtoExpert.new("htcpcp.expert.bad_scheme",
        "Not a coffee scheme: the pot answers 400", expert.group.PROTOCOL, expert.severity.NOTE),
}
htcpcp.experts = {
    ef.not_http, ef.malformed_header, ef.headers_joined, ef.no_status_line, ef.head_too_large,
    ef.body_truncated, ef.incomplete, ef.bad_chunk, ef.bad_content_length,
    ef.length_and_encoding, ef.unknown_encoding, ef.unknown_addition, ef.unknown_method,
    ef.bad_scheme,
}

-- coffeeshark's note texts (http.rs Note's Display).
local NOTE_TEXT = {
    malformed_header = function(a) return "Malformed header line: " .. a end,
    headers_joined = function(a) return "Header " .. a .. " looks like several headers joined by '/'" end,
    no_status_line = function() return "No status line: a bare body" end,
    not_http = function() return "Not a request or status line" end,
    head_too_large = function() return "Head longer than " .. MAX_HEAD .. " bytes" end,
    body_truncated = function() return "Body longer than " .. MAX_BODY .. " bytes: the rest is not kept" end,
    incomplete = function() return "The stream ended before the message did" end,
    bad_chunk = function() return "Malformed chunked encoding" end,
    bad_content_length = function() return "Invalid Content-Length" end,
    length_and_encoding = function() return "Both Transfer-Encoding and Content-Length: Content-Length ignored" end,
    unknown_encoding = function() return "Unknown Transfer-Encoding on a request" end,
}

----------------------------------------------------------------------------
-- Per-stream state (the one pass: requests paired with responses)
----------------------------------------------------------------------------

local f_stream = Field.new("tcp.stream")
local f_fin = Field.new("tcp.flags.fin")
local f_time = Field.new("frame.time")

-- tcp.stream -> { decision, roles = {[key] = role}, plain = {[key] = true},
--   count = {[key] = n}, unanswered = {...}, last_request, last_response,
--   requests = {[frame] = ref} }
local streams = {}
-- "frame:len:offset" -> what the first pass learnt about a message there.
local seen = {}

local function last_value(extractor)
    local all = { extractor() }
    local fi = all[#all]
    return fi and fi.value
end

local function frame_time(pinfo)
    local t = last_value(f_time)
    if t then
        return t
    end
    local secs = math.floor(pinfo.abs_ts)
    return NSTime(secs, math.floor((pinfo.abs_ts - secs) * 1e9 + 0.5))
end

local function stream_of(pinfo)
    local id = last_value(f_stream)
    if id == nil then
        id = tostring(pinfo.src) .. ":" .. pinfo.src_port .. "-" .. tostring(pinfo.dst) .. ":" .. pinfo.dst_port
    end
    return id
end

local function dir_key(pinfo)
    return tostring(pinfo.src) .. ":" .. pinfo.src_port
end

local function new_stream()
    return { roles = {}, plain = {}, count = {}, unanswered = {}, requests = {} }
end

-- The role of this direction, set on its first data (coffeeshark's
-- settle/instantiate): the opposite of the other direction's once that one
-- has one, else a status line says response.
local function role_of(st, key, buf)
    local r = st.roles[key]
    if r then
        return r
    end
    for k, other in pairs(st.roles) do
        if k ~= key then
            r = (other == "request") and "response" or "request"
        end
    end
    if not r then
        local is_status = sub(buf, 1, 5) == "HTTP/" or sub(buf, 1, 7) == "HTCPCP/"
        r = is_status and "response" or "request"
    end
    st.roles[key] = r
    return r
end

-- First pass: numbers a message and pairs it (stream.rs finish_parsed).
local function account(st, key, msg, pinfo)
    local meta = {}
    st.count[key] = (st.count[key] or 0) + 1
    meta.index = st.count[key]
    local s = msg.start
    local frame = pinfo.number
    if s.request then
        if #st.unanswered == MAX_UNANSWERED then
            table.remove(st.unanswered, 1)
        end
        meta.prev_in = st.last_request
        st.last_request = frame
        local ref = { frame = frame, method = s.method, uri = s.target, time = frame_time(pinfo),
            head = s.method == "HEAD" }
        st.unanswered[#st.unanswered + 1] = ref
        st.requests[frame] = ref
    elseif s.response or s.none then
        local ref
        if s.response and s.code >= 100 and s.code < 200 then
            ref = st.unanswered[1]
        else
            ref = table.remove(st.unanswered, 1)
        end
        meta.prev_in = st.last_response
        st.last_response = frame
        if ref then
            meta.request = { frame = ref.frame, method = ref.method, uri = ref.uri,
                elapsed = frame_time(pinfo) - ref.time }
            if not (s.response and s.code < 200) then
                ref.response_in = frame
            end
        end
    end
    return meta
end

----------------------------------------------------------------------------
-- The tree of one message (model/app_tree.rs htcpcp_layer)
----------------------------------------------------------------------------

local function add_notes(item, msg)
    for _, n in ipairs(msg.notes) do
        local e = ef[n[1]]
        local text = NOTE_TEXT[n[1]] and NOTE_TEXT[n[1]](n[2]) or n[1]
        if e then
            item:add_proto_expert_info(e, escape_label(text))
        end
    end
end

local function add_request(t, r, msg, meta)
    local s = msg.start
    local method = s.method
    local target = utf8_lossy(s.target)
    local line = t:add(r, string.format("%s %s %s\\r\\n", method, escape_label(target), s.version.text))
    if KNOWN_METHODS[method] then
        line:add(hf.method, r, method, "Request Method: " .. method)
    else
        local mi = line:add(hf.method, r, method,
            "Request Method: " .. method .. " (unknown to HTCPCP: the pot answers 501)")
        mi:add_proto_expert_info(ef.unknown_method)
    end
    line:add(hf.uri, r, target, "Request URI: " .. escape_label(target))
    local scheme_raw = scheme_of(target)
    if scheme_raw then
        local shown = display_scheme(scheme_raw)
        if is_coffee_scheme(scheme_raw) then
            line:add(hf.scheme, r, shown, "URI scheme: " .. escape_label(shown) .. " (a coffee scheme: accepted)")
        else
            local si = line:add(hf.scheme, r, shown, "URI scheme: " .. escape_label(shown)
                .. " (not a coffee scheme: the pot answers 400)")
            si:add_proto_expert_info(ef.bad_scheme)
        end
    end
    local at = find(target, "://", 1, true)
    if at then
        local rest = sub(target, at + 3)
        local pot = rest:match("^[^/]*")
        local label = "Pot: " .. pot
        if pot ~= HOST then
            label = "Pot: " .. escape_label(pot) .. " (not " .. HOST .. ": the pot answers 404)"
        end
        line:add(hf.pot, r, pot, label)
    end
    line:add(hf.req_version, r, s.version.text, "Request Version: " .. s.version.text)
    for _, h in ipairs(msg.headers) do
        local lower = ascii_lower(h.name)
        local value = trim(utf8_lossy(h.value))
        local label = escape_label(h.name .. ": " .. value .. "\r\n")
        if lower == "accept-additions" then
            local ai = t:add(hf.accept_additions, r, value, label)
            for part in (value .. ";"):gmatch("([^;]*);") do
                local name = trim(part)
                if name ~= "" then
                    local key = ascii_lower(name)
                    local known
                    for _, a in ipairs(ADDITIONS) do
                        if a[1] == key then
                            known = a[2]
                        end
                    end
                    local item
                    if known then
                        item = ai:add(hf.addition, r, name, "Addition: " .. name .. " (" .. known .. ") [accepted]")
                    else
                        item = ai:add(hf.addition, r, name, "Addition: " .. escape_label(name)
                            .. " [not accepted: the pot answers 406]")
                        item:add_proto_expert_info(ef.unknown_addition)
                    end
                    item:add(hf.addition_accepted, r, known ~= nil, "Accepted: " .. tostring(known ~= nil))
                end
            end
        elseif lower == "use-pot" then
            if ascii_lower(value) == "tea" then
                label = label .. " (a teapot: the pot answers 418)"
            end
            t:add(hf.use_pot, r, value, label)
        elseif lower == "content-type" then
            if ascii_lower(value) ~= COMMAND_CONTENT_TYPE then
                label = label .. " (not " .. COMMAND_CONTENT_TYPE .. ": the pot answers 415)"
            end
            t:add(hf.content_type, r, value, label)
        else
            t:add(r, label)
        end
    end
    if msg.head_len > 0 then
        t:add(r, "\\r\\n")
    end
    t:add(hf.request, r, true):set_hidden()
    t:add(hf.request_number, r, meta.index, string.format("[HTCPCP request %d/%d]", meta.index, meta.index))
    if meta.prev_in then
        t:add(hf.prev_request_in, r, meta.prev_in, "[Prev request in frame: " .. meta.prev_in .. "]")
    end
    if meta.response_in then
        t:add(hf.response_in, r, meta.response_in, "[Response in frame: " .. meta.response_in .. "]")
    end
    if (method == "BREW" or method == "POST") and msg.body_len > 0 then
        local text = trim(utf8_lossy(msg.body))
        local what
        if text == "start" then
            what = "start brewing"
        elseif text == "stop" then
            what = "stop brewing"
        else
            what = escape_label(text) .. " (neither start nor stop: the pot answers 400)"
        end
        t:add(r, "[Command: " .. what .. "]")
    end
end

local function add_response(t, r, msg, meta)
    local s = msg.start
    if s.response then
        local reason = utf8_lossy(s.reason)
        local line = t:add(r, string.format("%s %d %s\\r\\n", s.version.text, s.code, escape_label(reason)))
        line:add(hf.resp_version, r, s.version.text, "Response Version: " .. s.version.text)
        local meaning = STATUS_MEANING[s.code]
        line:add(hf.code, r, s.code, "Status Code: " .. s.code .. (meaning and (" (" .. meaning .. ")") or ""))
        line:add(hf.phrase, r, reason, "Response Phrase: " .. escape_label(reason))
    else
        t:add(r, "[No status line: a bare body]")
    end
    for _, h in ipairs(msg.headers) do
        local value = trim(utf8_lossy(h.value))
        local label = escape_label(h.name .. ": " .. value .. "\r\n")
        if ascii_lower(h.name) == "content-type" then
            t:add(hf.content_type, r, value, label)
        else
            t:add(r, label)
        end
    end
    if msg.head_len > 0 and s.response then
        t:add(r, "\\r\\n")
    end
    t:add(hf.response, r, true):set_hidden()
    t:add(hf.response_number, r, meta.index, string.format("[HTCPCP response %d/%d]", meta.index, meta.index))
    if meta.prev_in then
        t:add(hf.prev_response_in, r, meta.prev_in, "[Prev response in frame: " .. meta.prev_in .. "]")
    end
    local rq = meta.request
    if rq then
        t:add(hf.time, r, rq.elapsed, "[Time since request: " .. tostring(rq.elapsed) .. " seconds]")
        t:add(hf.request_in, r, rq.frame, "[Request in frame: " .. rq.frame .. "]")
        t:add(r, "[Request: " .. escape_label(rq.method) .. " " .. escape_label(utf8_lossy(rq.uri)) .. "]")
    end
end

local function add_message(tree, tvb, msg, from, stop, meta)
    local r = tvb(from - 1, stop - from + 1)
    local t = tree:add(htcpcp, r)
    local s = msg.start
    if s.request then
        add_request(t, r, msg, meta)
    elseif s.response or s.none then
        add_response(t, r, msg, meta)
    else
        t:add(r, "Continuation: " .. escape_label(utf8_lossy(s.line)))
    end
    add_notes(t, msg)
    if msg.body_len > 0 then
        local body = utf8_lossy(msg.body)
        local bi = t:add(hf.body, r, body, "Body: " .. msg.body_len .. " bytes")
        local json = parse_json(msg.body)
        if json then
            json_tree(bi, r, "JSON", json, 0)
        end
    end
end

-- The Info piece of one message (stream.rs http_piece): its first line and
-- a space, then the media type of a body.
local function info_piece(msg)
    local s = msg.start
    if s.invalid then
        return "Continuation"
    end
    local text
    if s.request then
        text = s.method .. " " .. utf8_lossy(s.target) .. " " .. s.version.text .. " "
    elseif s.response then
        text = s.version.text .. " " .. s.code .. " " .. utf8_lossy(s.reason) .. " "
    else
        text = "[No status line] "
    end
    if msg.body_len > 0 then
        local t = media_type(msg)
        if t then
            text = text .. " (" .. ascii_lower(utf8_lossy(t)) .. ")"
        end
    end
    return text
end

----------------------------------------------------------------------------
-- Dissection
----------------------------------------------------------------------------

-- Dissects the messages of one TCP payload (or reassembled PDU) of an
-- HTCPCP stream; asks TCP for more bytes when a message is unfinished.
local function dissect_messages(tvb, pinfo, tree, st)
    local len = tvb:len()
    if len == 0 then
        return 0
    end
    local buf = tvb:raw(0, len)
    local key = dir_key(pinfo)
    local role = role_of(st, key, buf)
    local fin = last_value(f_fin) == true
    pinfo.cols.protocol = "HTCPCP"
    local p = 1
    while p <= len do
        local ctx = { role = role, fin = fin }
        if role == "response" and st.unanswered[1] then
            ctx.head_request = st.unanswered[1].head
        end
        local kind, a, b = parse_message(buf, p, ctx)
        if kind == "skip" then
            p = p + a
        elseif kind == "more" then
            if b then
                pinfo.cols.info:set(b)
            end
            pinfo.desegment_offset = p - 1
            pinfo.desegment_len = a
            return len
        else
            local msg, stop = a, b
            local id = pinfo.number .. ":" .. len .. ":" .. p
            local meta = seen[id]
            if not meta then
                meta = account(st, key, msg, pinfo)
                seen[id] = meta
            end
            -- Known when Wireshark dissects the request again (a click in
            -- the GUI, tshark -2); never in tshark's one pass, as in
            -- coffeeshark.
            if msg.start.request and st.requests[pinfo.number] then
                meta.response_in = st.requests[pinfo.number].response_in
            end
            add_message(tree, tvb, msg, p, stop, meta)
            pinfo.cols.info:set(info_piece(msg))
            pinfo.cols.info:fence()
            p = stop + 1
        end
    end
    return len
end

-- Decides a stream on its first data: "htcpcp", "plain", or nil (wait for
-- more). `pot`: one end is the pot's port, where HTTP-looking requests are
-- HTCPCP (the lab's bad-scheme test sends `GET caffeine://ducky`).
local function decide(buf, pot)
    local nl = find(buf, "\n", 1, true)
    if looks_like_tls(buf) then
        return "plain"
    end
    if not nl then
        if #buf < 4096 and could_be_start(buf) then
            return nil
        end
        return "plain"
    end
    local d = detect(buf)
    if d == "htcpcp" or (d == "http" and pot) then
        return "htcpcp"
    end
    return "plain"
end

local function on_pot_port(pinfo)
    return pinfo.src_port == POT_PORT or pinfo.dst_port == POT_PORT
end

-- The port (and Decode As) entry.
function htcpcp.dissector(tvb, pinfo, tree)
    local id = stream_of(pinfo)
    local st = streams[id]
    local key = dir_key(pinfo)
    if st and st.decision == "htcpcp" then
        return dissect_messages(tvb, pinfo, tree, st)
    end
    if st and st.plain[key] then
        return 0
    end
    local len = tvb:len()
    if len == 0 then
        return 0
    end
    if not on_pot_port(pinfo) then
        -- Decode As on another port: whatever comes is HTCPCP.
        st = st or new_stream()
        st.decision = "htcpcp"
        streams[id] = st
        return dissect_messages(tvb, pinfo, tree, st)
    end
    local buf = tvb:raw(0, math.min(len, 4096))
    local d = decide(buf, true)
    st = st or new_stream()
    streams[id] = st
    if d == nil then
        -- An unfinished first line: TCP keeps it and calls again with more.
        pinfo.desegment_offset = 0
        pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
        return len
    elseif d == "plain" then
        st.plain[key] = true
        return 0
    end
    st.decision = "htcpcp"
    return dissect_messages(tvb, pinfo, tree, st)
end

-- The heuristic entry: HTCPCP by content on any port.
local function heuristic(tvb, pinfo, tree)
    local len = tvb:len()
    if len == 0 then
        return false
    end
    local id = stream_of(pinfo)
    local st = streams[id]
    if st and st.decision == "htcpcp" then
        dissect_messages(tvb, pinfo, tree, st)
        return true
    end
    local buf = tvb:raw(0, math.min(len, 4096))
    if not find(buf, "\n", 1, true) or decide(buf, on_pot_port(pinfo)) ~= "htcpcp" then
        return false
    end
    st = st or new_stream()
    st.decision = "htcpcp"
    streams[id] = st
    pinfo.conversation = htcpcp
    dissect_messages(tvb, pinfo, tree, st)
    return true
end

function htcpcp.init()
    streams = {}
    seen = {}
end

----------------------------------------------------------------------------
-- Registration
----------------------------------------------------------------------------

if set_plugin_info then
    set_plugin_info({
        version = "0.1.0",
        description = "HTCPCP (RFC 2324/7168) with reassembly and coffeeshark's htcpcp.* fields",
        repository = "coffeeshark: dissector/htcpcp.lua",
    })
end

local tcp_port = DissectorTable.get("tcp.port")
tcp_port:add(POT_PORT, htcpcp)
htcpcp:register_heuristic("tcp", heuristic)
