#include <cstdio>
int main() { std::puts("larder"); return 0; }
