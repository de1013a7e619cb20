/* json.c: --json output. Every JSON document vzpkg prints is built with
 * jansson, so quotes and control characters are escaped; a string taken
 * from a name, a path or a container's file may hold any bytes, and
 * jansson takes UTF-8 only: vz_json_string() keeps the valid sequences and
 * puts U+FFFD in place of each byte that is not one. */
#include "context.h"

/* The length of the UTF-8 sequence at s (at most left bytes), 0 when it
 * is not a valid one (overlong forms, surrogates, beyond U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
        unsigned cp, c = s[0];
        size_t n;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (left < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

json_t *vz_json_string(const char *s)
{
        static const char replacement[] = "\xef\xbf\xbd";  /* U+FFFD */
        json_t *j;
        if (!s)
                return json_null();
        if ((j = json_string(s)))
                return j;
        size_t len = strlen(s), o = 0;
        _cleanup_free_ char *buf = vz_xmalloc(len * 3 + 1);
        for (size_t i = 0; i < len;) {
                size_t n = utf8_seq((const unsigned char *)s + i, len - i);
                if (n == 0) {
                        memcpy(buf + o, replacement, 3);
                        o += 3;
                        i++;
                        continue;
                }
                memcpy(buf + o, s + i, n);
                o += n;
                i += n;
        }
        buf[o] = '\0';
        return json_string(buf);
}

int vz_json_print(json_t *doc, size_t flags)
{
        char *s;
        int r = 0;
        if (!doc)
                return -ENOMEM;
        /* reals as written ("seconds": 12.3), not to 17 digits */
        s = json_dumps(doc, flags | JSON_REAL_PRECISION(15));
        json_decref(doc);
        if (!s || puts(s) < 0)
                r = -EIO;
        free(s);
        return r;
}
