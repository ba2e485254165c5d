// ncursesw for Swift: curses macros and globals turned into inline functions.
// Why: getmaxyx, A_*/WA_*, ACS_*, COLOR_PAIR are macros Swift cannot import,
// and stdscr/LINES/COLS are mutable globals Swift 6 rejects as not
// concurrency-safe. Everything here is a one-line wrapper, no logic.
#ifndef UMCGTOP_CNCURSES_SHIM_H
#define UMCGTOP_CNCURSES_SHIM_H
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *umcg_stdscr(void) { return stdscr; }
static inline int umcg_lines(void) { return LINES; }
static inline int umcg_cols(void) { return COLS; }
static inline int umcg_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int umcg_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline attr_t umcg_a_bold(void) { return A_BOLD; }
static inline attr_t umcg_a_reverse(void) { return A_REVERSE; }
static inline attr_t umcg_a_dim(void) { return A_DIM; }
static inline attr_t umcg_a_underline(void) { return A_UNDERLINE; }
static inline attr_t umcg_a_normal(void) { return A_NORMAL; }
static inline attr_t umcg_color_pair(short n) { return COLOR_PAIR(n); }
static inline int umcg_key_resize(void) { return KEY_RESIZE; }
static inline int umcg_err(void) { return ERR; }
static inline int umcg_ok(void) { return OK; }
static inline const char *umcg_codeset(void) { return nl_langinfo(CODESET); }
static inline const char *umcg_setlocale_all(const char *name) { return setlocale(LC_ALL, name); }
/// Puts one wide character with attributes at (y, x) of window w.
static inline int umcg_put_wch(WINDOW *w, int y, int x, wchar_t ch, attr_t attr, short pair) {
    cchar_t c;
    wchar_t s[2] = { ch, 0 };
    setcchar(&c, s, attr, pair, NULL);
    return mvwadd_wch(w, y, x, &c);
}

// Added for the terminal layer (Sources/UMCGTop/Terminal).
#include <stdio.h>
/// newterm(NULL, stdout, stdin): unlike initscr it returns NULL instead of exiting when TERM is unusable.
static inline SCREEN *umcg_newterm(void) { return newterm(NULL, stdout, stdin); }
/// Number of colours the terminal supports (the COLORS global).
static inline int umcg_colors(void) { return COLORS; }
/// Number of colour pairs the terminal supports (the COLOR_PAIRS global).
static inline int umcg_color_pairs(void) { return COLOR_PAIRS; }
/// KEY_CODE_YES: wget_wch's result for a function key.
static inline int umcg_key_code_yes(void) { return KEY_CODE_YES; }
/// Reads one wide character or key code with wget_wch; returns OK, KEY_CODE_YES or ERR.
static inline int umcg_get_wch(WINDOW *w, int *out) {
    wint_t c = 0;
    int r = wget_wch(w, &c);
    *out = (int)c;
    return r;
}
/// tigetstr(name) for a string capability, NULL when absent or not a string (curses returns (char*)-1 then).
static inline const char *umcg_tigetstr(const char *name) {
    char *s = tigetstr(name);
    return (s == NULL || s == (char *)-1) ? NULL : s;
}
#endif
