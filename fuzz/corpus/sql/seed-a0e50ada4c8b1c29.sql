create table u(a unique);
insert into u values(1);

insert into u
values(1);
