select 1,
2;
select * from nope;
