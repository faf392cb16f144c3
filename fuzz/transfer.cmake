# Transfer protocol parsers: frames, manifest, the receiver's pre-handshake
# input, and received names.
tl_add_fuzzer(fuzz_transfer_frames fuzz_transfer_frames.c)
tl_add_fuzzer(fuzz_names fuzz_names.c)
