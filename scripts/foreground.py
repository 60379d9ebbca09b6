"""Run a command as the terminal's foreground process group, so Ctrl-C reaches it and not `make`.

GNU make re-raises a Ctrl-C it receives after its recipe ends, so `make run` stopped by Ctrl-C ended with
status 130 even when the demo stopped cleanly. Given its own group, the demo alone gets the interrupt,
stops both servers and exits 0; make then exits 0 too. Without a terminal, or when started in the
background, the command simply runs as it is.
"""

import os
import signal
import sys


def take_terminal() -> None:
    """Become the foreground process group of the controlling terminal, if we are in the foreground."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return
    try:
        if os.tcgetpgrp(tty) != os.getpgrp():
            return
        os.setpgid(0, 0)
        # A process group taking the terminal is sent SIGTTOU unless it ignores it for that moment.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(tty, os.getpgrp())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    except OSError:
        pass
    finally:
        os.close(tty)


if __name__ == "__main__":
    take_terminal()
    os.execvp(sys.argv[1], sys.argv[1:])  # noqa: S606 - the command is the caller's, run as given
