# Warnings, determinism flags and sanitizers shared by every gpoc target.

# Floating point must not be contracted into FMAs differently on the CPU and the GPU: the
# determinism contract (docs/PROTOCOL.md) compares output bytes across backends.
add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off>)

function(gpoc_target_defaults target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>)
endfunction()

if(GPOC_SANITIZE)
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${GPOC_SANITIZE};-fno-omit-frame-pointer>")
  add_link_options(-fsanitize=${GPOC_SANITIZE})
endif()

# Assertions stay on in release builds: they guard programmer errors on the consensus path.
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
