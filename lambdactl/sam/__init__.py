"""AWS SAM (and plain CloudFormation) templates: read one as the manifest (`template.py`,
`intrinsics.py`, `reader.py`), and write the manifest as one (`export.py`)."""
