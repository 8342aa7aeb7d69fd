"""The module package file (docs/FORMATS.md): a zip with a manifest, read defensively.

A package holds `manifest.json`, one module folder `courses/<id>/` in the library format and
its quiz files `quizzes/<quiz-id>.yaml`. The manifest names the format version, the module,
its licence and origin, and the size and SHA-256 of every other file plus a SHA-256 of that
listing. The checksums catch damaged or edited files; they are not a signature (whoever edits
a package can recompute them), so the origin shown is what the package claims.

Reading never trusts the archive: names, kinds, counts and declared sizes are checked before a
byte is unpacked, bytes are counted while unpacking, and every problem names the file inside
the archive. Pure: no Flask, no database. `manifest` holds the format's names and records,
`manifest_reader` checks manifest.json, `archive_reader` checks and unpacks a package and
`archive_writer` writes one.
"""
