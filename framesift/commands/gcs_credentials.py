"""Google Cloud credentials for commands given gs:// paths, looked up once before the command starts.

Without this, a missing login shows up deep inside Beam: its GCS client retries the credential look-up four times
(~30 s) and logs a traceback on each try before connecting anonymously, and the job then fails on the first
private bucket. Against a local emulator (STORAGE_EMULATOR_HOST) anonymous access is the intended case, so the
look-up is skipped and nothing is printed."""
import os

from framesift.errors import UsageError

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
LOGIN_COMMAND = "gcloud auth application-default login"


def uses_gcs(argv: list[str]) -> bool:
    return any("gs://" in arg for arg in argv)


def check_gcs_credentials(argv: list[str]) -> None:
    """Raises UsageError (one line: what to run) when gs:// paths are given and no credentials can be found."""
    if not uses_gcs(argv):
        return
    if os.environ.get(EMULATOR_ENV):
        _connect_anonymously()
        return
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
    except ImportError:          # no [gcp] extra: Beam's gs:// file system says what to install
        return
    try:
        google.auth.default()
    except DefaultCredentialsError:
        raise UsageError(f"no Google Cloud credentials for the gs:// paths: run \"{LOGIN_COMMAND}\" (or set "
                         f"GOOGLE_APPLICATION_CREDENTIALS to a service-account key file)") from None


def _connect_anonymously() -> None:
    # Beam caches one credential look-up per process; recording "none" up front is what it would conclude after
    # its retries, minus the ~30 s and the logged tracebacks (the job's worker processes: pipelines/curate/job.py)
    try:
        from pipelines.gcs_emulator_access import connect_anonymously
    except ImportError:         # framesift without its pipelines
        return
    connect_anonymously()
