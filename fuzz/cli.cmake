# Client config file (~/.config/tallow/config, src/cli/config.c).
tl_add_fuzzer(fuzz_cli_config ${CMAKE_CURRENT_LIST_DIR}/fuzz_cli_config.c)
target_sources(fuzz_cli_config PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/config.c)
