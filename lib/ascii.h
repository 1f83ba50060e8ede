/* Private: locale-independent ASCII helpers shared by the parsers. */
#ifndef SSEKIT_ASCII_H
#define SSEKIT_ASCII_H

/* The value of hexadecimal digit c (either case), or -1. */
static inline int sk_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
