module lucidauth.example/lucidauth

go 1.19
