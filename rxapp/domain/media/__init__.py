"""Photos and files on cases, visits and meeting items (issue 16).

``images``: what an upload is (by content) and its clean copies;
``storage``: where the bytes live (filesystem or S3-compatible);
``actions``: attach, publish, list and open — role and scope checked."""
