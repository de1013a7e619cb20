/* fuzz-release.c: the Release/InRelease parser (repo/release.c) on
 * arbitrary text: parse, then every lookup and date a caller makes. The
 * text reaches the parser only after a signature check, but a key holder's
 * mistake or a parser bug must not become memory corruption. */
#include <stdint.h>

#include "repo-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = strndup((const char *)data, size);  /* the parser takes a C string */
        struct vz_release *r = NULL;
        const char *sha;
        long long n;

        if (!text)
                return 0;
        if (vz_release_parse(text, &r) == 0) {
                (void)vz_release_field(r, "Suite");
                (void)vz_release_time(r, "Date");
                (void)vz_release_time(r, "Valid-Until");
                (void)vz_release_lookup(r, "main/binary-amd64/Packages.xz", &sha, &n);
                vz_release_free(r);
        }
        free(text);
        return 0;
}
