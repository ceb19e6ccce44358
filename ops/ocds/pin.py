#!/usr/bin/env python3
"""Writes the OCDS 1.1 schemas the publication tests validate against into schema/, from the
PyPI source distributions that ship them, pinned by version and SHA-256. Run by hand when the
pins change; the tests read only what is kept in schema/ and never fetch anything.

- release-schema.json: OCDS 1.1.4's release schema as ocdsmerge 0.8.0 ships it in its tests,
  patched with the bid extension (`bids.details`, `bids.statistics`): its definitions `Bids`,
  `Bid` and `BidsStatistic`, keeping the fields that the extension itself adds (each field of the
  patched schema in ocdskit 1.7.0's tests names the extension it came from), as an OCDS tool
  applies an extension's release-schema.json to the standard's.
- release-package-schema.json and record-package-schema.json: OCDS 1.1.5's package schemas from
  ocdskit 1.7.0, their references to the release schema pointed at the one above (the package
  schemas are the same in 1.1.4 and 1.1.5 but for their ids). ocdskit ships the record package
  schema only dereferenced (19 MB, the release schema copied into it three times); here the
  copies are put back as references, and the versioned release, which we do not publish, is
  left out.
"""

import hashlib
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

SDISTS = {
    "ocdskit": ("1.7.0", "02a7d6182bbd7672cfd26cdbcae9726fbacdb917203d2bd5a726caa30040ff76"),
    "ocdsmerge": ("0.8.0", "a9f6d8f1e854b79d07d378f3effaaefcc2687efd52e9edacd89b6b4a79538160"),
}
RELEASE = "https://standard.open-contracting.org/schema/1__1__4/release-schema.json"
BID_EXTENSION = "ocds_bid_extension"
HERE = pathlib.Path(__file__).resolve().parent / "schema"


def fetch(work, name):
    version, digest = SDISTS[name]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         f"{name}=={version}", "-d", work, "-q"],
        check=True,
    )
    path = pathlib.Path(work) / f"{name}-{version}.tar.gz"
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != digest:
        sys.exit(f"{path.name}: sha256 {found}, pinned {digest}")
    return tarfile.open(path)


def member(archive, name, path):
    version, _ = SDISTS[name]
    return json.load(archive.extractfile(f"{name}-{version}/tests/fixtures/{path}"))


def from_extension(field):
    return BID_EXTENSION in field.get("extension", "")


def refs(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item.rsplit("/", 1)[-1]
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def patch_bids(core, profile):
    """Adds the bid extension's definitions and `bids` to the core release schema."""
    wanted = ["Bids", "Bid", "BidsStatistic"]
    while wanted:
        name = wanted.pop()
        if name in core["definitions"]:
            continue
        definition = dict(profile["definitions"][name])
        definition["properties"] = {
            key: field for key, field in definition["properties"].items() if from_extension(field)
        }
        core["definitions"][name] = definition
        wanted.extend(r for r in refs(definition) if r not in core["definitions"])
    bids = profile["properties"]["bids"]
    core["properties"]["bids"] = {
        "title": bids["title"],
        "description": bids["description"],
        "$ref": "#/definitions/Bids",
    }
    return core


def main():
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        kit, merge = fetch(work, "ocdskit"), fetch(work, "ocdsmerge")
        profile = member(kit, "ocdskit", "b/release-schema.json")
        package = member(kit, "ocdskit", "release-package-schema.json")
        record = member(kit, "ocdskit", "b/record-package-schema-dereferenced.json")
        release = patch_bids(member(merge, "ocdsmerge", "release-schema-1__1__4.json"), profile)
    package["properties"]["releases"]["items"] = {"$ref": RELEASE}
    items = record["properties"]["records"]["items"]
    items["properties"]["compiledRelease"] = {"$ref": RELEASE}
    embedded = items["properties"]["releases"]["oneOf"]
    for choice in embedded:
        if "ocid" in choice["items"].get("properties", {}):
            choice["items"] = {"$ref": RELEASE}
    items["properties"].pop("versionedRelease", None)
    for name, schema in [
        ("release-schema.json", release),
        ("release-package-schema.json", package),
        ("record-package-schema.json", record),
    ]:
        (HERE / name).write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n")
        print(name, len(json.dumps(schema)))


if __name__ == "__main__":
    main()
