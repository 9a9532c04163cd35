#include "CLibFuzzer.h"

// Weak, so that the harness binary also links (as a corpus replayer) without libFuzzer.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t)) __attribute__((weak));

int switchyard_fuzz_run(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t)) {
    if (!LLVMFuzzerRunDriver) return -1;
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
