/* Loads a model compiled with --emit=shared from a program that links
 * nothing but libc (bitnet-run.test): the library itself must name what it
 * needs (DT_NEEDED libm), or dlopen fails with an undefined symbol.
 * argv[1]: the library; argv[2]: a symbol it exports. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  void *library;
  if (argc != 3) {
    fprintf(stderr, "usage: %s <library.so> <symbol>\n", argv[0]);
    return 2;
  }
  library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  if (!dlsym(library, argv[2])) {
    printf("no symbol %s: %s\n", argv[2], dlerror());
    return 1;
  }
  printf("loaded %s\n", argv[2]);
  dlclose(library);
  return 0;
}
