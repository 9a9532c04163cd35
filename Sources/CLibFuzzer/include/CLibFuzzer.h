#ifndef SWITCHYARD_CLIBFUZZER_H
#define SWITCHYARD_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with `callback` as the harness when the binary was linked with
/// libFuzzer (`make fuzz`); returns -1 at once when it was not (a plain `swift build`).
int switchyard_fuzz_run(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
