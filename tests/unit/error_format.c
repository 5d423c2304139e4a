/* error_format.c - struct cell_error: one line, truncation, errno text, wrapping. */
#include "tap.h"
#include "runtime/lib/error.h"
#include <errno.h>

int main(void)
{
    struct cell_error e = {0};
    is_int(cell_err(&e, 0, "plain %d", 7), -1, "cell_err returns -1");
    is_str(e.msg, "plain 7", "message formatted");
    is_int(e.err, 0, "err kept");

    cell_err(&e, 0, "two\nlines\r");
    is_str(e.msg, "two lines ", "newlines become spaces");

    cell_err_sys(&e, ENOENT, "open %s", "/x");
    is_str(e.msg, "open /x: No such file or directory", "errno text appended");
    is_int(e.err, ENOENT, "errno recorded");

    cell_err_wrap(&e, "step %s", "bind");
    is_str(e.msg, "step bind: open /x: No such file or directory", "context prefixed");

    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cell_err(&e, 0, "%s", big);
    is_int((long long)strlen(e.msg), (long long)sizeof e.msg - 1, "long message truncated");

    is_int(cell_err(NULL, 1, "x"), -1, "NULL error object tolerated");
    return done_testing();
}
