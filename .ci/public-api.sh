#!/usr/bin/env bash
# Writes PublicAPI.Shipped.txt / PublicAPI.Unshipped.txt for every packable library from the public API analyzer's own
# diagnostics: a build lists each undeclared public symbol (RS0016) and each declared one that is gone (RS0017) in the
# files' exact line format; the script adds the first to PublicAPI.Unshipped.txt and removes the second (or marks it
# *REMOVED* when it had shipped), then builds again and fails unless no RS0016/RS0017/RS0036/RS0037 remains.
# (`dotnet format analyzers --diagnostics RS0016` was tried first: it wrote the files once, then missed later additions.)
#
#   bash .ci/public-api.sh            # adds what is public and not yet declared to PublicAPI.Unshipped.txt, drops what is gone
#   bash .ci/public-api.sh --ship     # then moves every Unshipped line into Shipped (at a release)
#   bash .ci/public-api.sh [--ship] HealthLedger.Core/HealthLedger.Core.csproj ...   # only these projects
#
# The projects need not reference the analyzer yet: for the run, a temporary Directory.Build.targets at the root adds
# Microsoft.CodeAnalysis.PublicApiAnalyzers (version below) and the two files as AdditionalFiles to every packable
# project, and is removed on every exit path. Once the analyzer is wired for good (in Directory.Build.props/targets),
# the same command keeps the files current. Needs a restore-able tree (network or a warm NuGet cache).
set -euo pipefail
cd "$(dirname "$0")/.."
analyzer_version="${PUBLIC_API_ANALYZER_VERSION:-5.6.0}"
ship=false
if [ "${1:-}" = "--ship" ]; then ship=true; shift; fi

projects=()
if [ "$#" -gt 0 ]; then
  projects=("$@")
else
  for csproj in HealthLedger.*/HealthLedger.*.csproj; do
    if grep -q '<IsPackable>true</IsPackable>' "$csproj"; then projects+=("$csproj"); fi
  done
fi
[ "${#projects[@]}" -gt 0 ] || { echo "no packable projects found" >&2; exit 1; }

temp_targets=""
# Once the analyzer is wired for good, use that wiring.
if grep -qs 'PublicApiAnalyzers' Directory.Build.props Directory.Build.targets "${projects[@]}"; then
  :
elif [ -f Directory.Build.targets ]; then
  echo "Directory.Build.targets exists and does not wire Microsoft.CodeAnalysis.PublicApiAnalyzers: wire it there first" >&2
  exit 1
else
  temp_targets=Directory.Build.targets
  trap 'rm -f Directory.Build.targets' EXIT
  cat > Directory.Build.targets <<XML
<Project>
  <!-- Written by .ci/public-api.sh for one run; not to be committed. -->
  <ItemGroup Condition="'\$(IsPackable)' == 'true'">
    <PackageReference Include="Microsoft.CodeAnalysis.PublicApiAnalyzers" VersionOverride="$analyzer_version" PrivateAssets="all" />
    <AdditionalFiles Include="PublicAPI.Shipped.txt" />
    <AdditionalFiles Include="PublicAPI.Unshipped.txt" />
  </ItemGroup>
</Project>
XML
fi

for csproj in "${projects[@]}"; do
  dir=$(dirname "$csproj")
  for f in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$f" ] || printf '#nullable enable\n' > "$dir/$f"
  done
done

# Warnings stay warnings for these builds, so every project builds and reports all its symbols in one pass; the builds
# are not incremental, since an up-to-date project is not compiled again and would report nothing.
build() {
  for csproj in "${projects[@]}"; do   # references built (incrementally), so that each project can compile alone below
    dotnet build "$csproj" -c Release --nologo -v q -p:TreatWarningsAsErrors=false >/dev/null 2>&1 || true
  done
  for csproj in "${projects[@]}"; do   # each project compiled once more, on its own, to collect its diagnostics
    dotnet build "$csproj" -c Release --no-incremental -p:BuildProjectReferences=false --nologo -v q -p:TreatWarningsAsErrors=false -clp:NoSummary 2>&1 || true
  done | grep -E ': (warning|error) RS00(16|17|26|27|36|37)' | sort -u || true
}

log=$(mktemp)
build > "$log"
python3 - "$log" <<'PY'
import os, re, sys
pattern = re.compile(r": (?:warning|error) (RS0016|RS0017): Symbol '(.*)' is (?:not part of the declared public API|part of the declared API, but is either not public or could not be found).*\[(.+\.csproj)\]$")
changes = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = pattern.search(line.rstrip())
    if m:
        changes.setdefault(os.path.dirname(m.group(3)), []).append((m.group(1), m.group(2)))
for folder, items in sorted(changes.items()):
    shipped_path, unshipped_path = (os.path.join(folder, f) for f in ("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"))
    shipped = set(open(shipped_path, encoding="utf-8").read().splitlines()[1:])
    unshipped = set(open(unshipped_path, encoding="utf-8").read().splitlines()[1:])
    for code, symbol in items:
        if code == "RS0016":
            unshipped.add(symbol)
        elif symbol in unshipped:
            unshipped.discard(symbol)
        elif symbol in shipped:
            unshipped.add("*REMOVED*" + symbol)
    lines = sorted(l for l in unshipped if l.strip())
    with open(unshipped_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("#nullable enable\n" + "".join(l + "\n" for l in lines))
    print(f"{folder}: {sum(1 for c, _ in items if c == 'RS0016')} added, {sum(1 for c, _ in items if c == 'RS0017')} removed")
PY

if $ship; then
  for csproj in "${projects[@]}"; do
    dir=$(dirname "$csproj")
    removed=$(sed -n 's/^\*REMOVED\*//p' "$dir/PublicAPI.Unshipped.txt")
    { sed -n '2,$p' "$dir/PublicAPI.Shipped.txt"; sed -n '2,$p' "$dir/PublicAPI.Unshipped.txt" | grep -v '^\*REMOVED\*'; } \
      | grep -v '^$' | grep -vxF -f <(printf '%s\n' "$removed" | grep -v '^$' || printf '\x01\n') | LC_ALL=C sort -u > "$dir/.api.tmp" || true
    { printf '#nullable enable\n'; cat "$dir/.api.tmp"; } > "$dir/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
    rm -f "$dir/.api.tmp"
  done
fi

# The files must now be complete: a second build reports no RS0016/RS0017 (undeclared or vanished symbols) nor
# RS0036/RS0037 (nullability). RS0026/RS0027 are API design rules (several overloads with optional parameters), a
# finding in the code rather than in the files: listed, to be fixed or suppressed before the analyzer's warnings count.
build > "$log"
if grep -qE 'RS00(16|17|36|37)' "$log"; then
  echo "public API files still incomplete:" >&2
  grep -E 'RS00(16|17|36|37)' "$log" | head -20 >&2
  exit 1
fi
if [ -s "$log" ]; then
  echo "API design findings (not in the files):"
  sed -E 's/^(.*): warning (RS00[0-9]+): (Symbol .[^ ]*. [^.]*).*$/  \2 \3 at \1/' "$log"
fi
for csproj in "${projects[@]}"; do
  dir=$(dirname "$csproj")
  echo "$dir: $(($(wc -l < "$dir/PublicAPI.Shipped.txt") - 1)) shipped, $(($(wc -l < "$dir/PublicAPI.Unshipped.txt") - 1)) unshipped"
done
rm -f "$log"
if [ -n "$temp_targets" ]; then echo "(temporary $temp_targets removed)"; fi
