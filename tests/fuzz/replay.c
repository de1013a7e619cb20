/* replay.c: a main() for a fuzz target without libFuzzer: feeds it each
 * file named on the command line, or each file of a named directory. The
 * seeds of every target run this way in the plain and sanitizer builds. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf;
        long n;
        if (!f)
                return -1;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(n > 0 ? (size_t)n : 1);
        if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
                free(buf);
                fclose(f);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)(n > 0 ? n : 0));
        free(buf);
        return 0;
}

static int run_dir(const char *dir, int *count)
{
        struct dirent **ents;
        int n = scandir(dir, &ents, NULL, alphasort), bad = 0;
        if (n < 0)
                return -1;
        for (int i = 0; i < n; i++) {
                if (ents[i]->d_name[0] != '.') {
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
                        if (run_file(path) < 0)
                                bad = 1;
                        else
                                (*count)++;
                }
                free(ents[i]);
        }
        free(ents);
        return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
        int count = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0 ||
                    (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i])) < 0) {
                        fprintf(stderr, "replay: cannot read %s\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode))
                        count++;
        }
        if (count == 0) {
                fprintf(stderr, "replay: no inputs\n");
                return 1;
        }
        printf("replay: %d inputs, no crash\n", count);
        return 0;
}
