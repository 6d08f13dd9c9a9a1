int main(void){return 112;}
