/* polydm CLI entry point (placeholder until the CLI lands). */
#include <stdio.h>
int main(void)
{
    puts("polydm " PDM_VERSION);
    return 0;
}
