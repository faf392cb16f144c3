/* tl_version(): the version the library was built as. */
#include "tallow/version.h"

const char *tl_version(void)
{
    return TL_VERSION_STRING;
}
