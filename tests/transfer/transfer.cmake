# Transfer protocol tests (docs/PROTOCOL.md).
tl_add_test(test_transfer_session test_transfer_session.c harness.c fake_crypto.c TIMEOUT 120)
tl_add_test(test_transfer_real test_transfer_real.c harness.c fake_crypto.c TIMEOUT 120)
tl_add_test(test_transfer_frames test_transfer_frames.c)
tl_add_test(test_transfer_names test_transfer_names.c harness.c)
tl_add_test(test_transfer_policy test_transfer_policy.c)
tl_add_test(test_transfer_group test_transfer_group.c harness.c fake_crypto.c TIMEOUT 120)
tl_add_test(test_transfer_hostile test_transfer_hostile.c harness.c fake_crypto.c TIMEOUT 120)
