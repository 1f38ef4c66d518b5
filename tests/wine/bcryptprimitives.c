/* Stand-in for Windows' bcryptprimitives.dll, which Debian's Wine 8 lacks: Rust's std asks it
 * for ProcessPrng. Real Windows (10 and later) has it. Used only by the tests under Wine
 * (tests/tests/devices.rs builds it with mingw when the prefix has none). */
#include <windows.h>
#include <ntsecapi.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
