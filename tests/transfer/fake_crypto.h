/* Test-only stand-in for handshake.h/chunk.h behind tl_xfer_crypto: the
 * same message flow (3 handshake messages, key confirmation bound to the
 * join-code secret, sealed records with 14-byte header and 16-byte tag, index
 * checked, tampering detected) with no real security. */
#ifndef TL_TEST_FAKE_CRYPTO_H
#define TL_TEST_FAKE_CRYPTO_H

#include "tallow/transfer.h"

const tl_xfer_crypto *fake_crypto(void);

#endif
