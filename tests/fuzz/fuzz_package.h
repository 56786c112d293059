/* fuzz_package.h — a private .mlpackage for the CoreML package targets: Manifest.json written once,
 * model.mlmodel and weights/weight.bin replaced per input. */
#ifndef CS_FUZZ_PACKAGE_H
#define CS_FUZZ_PACKAGE_H

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

static const char *package_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        char p[400];
        snprintf(dir, sizeof dir, "%s/csfuzz-%d.mlpackage", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
        mkdir(dir, 0700);
        snprintf(p, sizeof p, "%s/Data", dir), mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/Data/com.apple.CoreML", dir), mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/Data/com.apple.CoreML/weights", dir), mkdir(p, 0700);
        static const char manifest[] =
            "{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {\"A\": {\"path\": "
            "\"com.apple.CoreML/model.mlmodel\"}, \"B\": {\"path\": \"com.apple.CoreML/weights\"}}, "
            "\"rootModelIdentifier\": \"A\"}";
        snprintf(p, sizeof p, "%s/Manifest.json", dir);
        fuzz_write(p, (const uint8_t *)manifest, sizeof manifest - 1);
    }
    return dir;
}

static void package_member(const char *rel, const uint8_t *data, size_t size)
{
    char p[400];
    snprintf(p, sizeof p, "%s/Data/com.apple.CoreML/%s", package_dir(), rel);
    fuzz_write(p, data, size);
}

#endif
