# Picky warnings for project targets; -Werror with TALLOW_WERROR; sanitizers
# with TALLOW_SANITIZE (applied globally so test programs match the library).
set(TL_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wvla -Wpointer-arith)

function(tl_apply_warnings target)
  target_compile_options(${target} PRIVATE ${TL_WARNINGS})
  if(TALLOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(TALLOW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Banned functions (STYLE.md §17): fail the build if they appear.
set(TL_BANNED sprintf strcpy strcat strtok gets)
