#!/usr/bin/env bash
# libtallow.so exports exactly the functions declared in the public headers
# (include/tallow/*.h and the generated tallow/version.h) and has the SONAME
# libtallow.so.<major>.
# usage: symbols.sh LIBTALLOW_SO CC SOURCE_DIR BINARY_DIR MAJOR
set -euo pipefail
lib=$1 cc=$2 src=$3 bin=$4 major=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "libtallow.so.$major" ]; then
  echo "FAIL: SONAME is '$soname', want libtallow.so.$major"
  exit 1
fi

# Declared: every tl_* name followed by "(" in the preprocessed public headers
# except function pointer typedefs such as "(*tl_log_fn)(".
{
  for h in "$src"/include/tallow/*.h "$bin"/include/tallow/version.h; do
    echo "#include \"tallow/$(basename "$h")\""
  done
} | "$cc" -E -P -I"$src/include" -I"$bin/include" -x c - |
  tr '\n' ' ' | grep -oP '(?<!\(\*)(?<!\w)tl_\w+(?=\s*\()' | sort -u >"$tmp/declared"

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sed 's/@.*//' |
  sort -u >"$tmp/exported"

n_decl=$(wc -l <"$tmp/declared")
if [ "$n_decl" -lt 50 ]; then
  echo "FAIL: only $n_decl declarations found in the public headers (parser broken?)"
  exit 1
fi
status=0
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
  echo "FAIL: exported but not declared in include/tallow/ (should be hidden):"
  echo "$extra" | sed 's/^/  /'
  status=1
fi
if [ -n "$missing" ]; then
  echo "FAIL: declared in include/tallow/ but not exported (declared outside the"
  echo "      '#pragma GCC visibility push(default)' block, or not implemented):"
  echo "$missing" | sed 's/^/  /'
  status=1
fi
[ $status -eq 0 ] && echo "ok: $n_decl public functions exported, nothing else; SONAME $soname"
exit $status
