"""Sidecar keys match items by path suffix (pipelines/curate/sidecar.py)."""
from pipelines.curate.sidecar import lookup, read_sidecar


def test_keys_keep_their_leading_dots_and_lose_only_dot_segments():
    """lstrip("./") once turned ".hidden.jpg" into "hidden.jpg": its caption went to another folder's hidden.jpg
    and never to the hidden file itself."""
    csv = b"file,caption\n.hidden.jpg,dot file\n./photos/a.jpg,relative\n../other/b.jpg,parent\n"
    sidecar = dict(read_sidecar("s.csv", csv))
    assert lookup(sidecar, "/data/.hidden.jpg") == {"caption": "dot file"}
    assert lookup(sidecar, "/data/elsewhere/hidden.jpg") is None
    assert lookup(sidecar, "gs://b/raw/photos/a.jpg") == {"caption": "relative"}
    assert lookup(sidecar, "/x/other/b.jpg") == {"caption": "parent"}
