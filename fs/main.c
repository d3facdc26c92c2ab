/*
 * main.c — the ceramicfs program: command dispatch.
 */
#include "ceramic.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ceramicfs %s\n", CER_VERSION);
    return 2;
}
