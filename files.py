"""Writing a file so that nothing the user had is lost: the new content goes to a temporary file in the
same folder, renamed over `path` only once it is complete (an interrupted write leaves the old file)."""
import os
import secrets


def write_atomic(path, write, text=False):
    """Call write(file) on a new temporary file beside `path`, then rename it to `path`.

    An exception in `write` (a failed download check, Ctrl-C) removes the temporary file and leaves
    `path` as it was. text=True opens the file as UTF-8 text with newline='' (what csv wants), else binary.
    """
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f'.{os.path.basename(path)}.{secrets.token_hex(4)}.part')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # the user's umask applies, as for open()
    try:
        with open(fd, 'w', encoding='utf-8', newline='') if text else open(fd, 'wb') as file:
            write(file)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
