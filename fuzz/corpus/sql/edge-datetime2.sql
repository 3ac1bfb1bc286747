SELECT datetime('2000-01-01', 'start of month', '+1 month', '-1 day', 'weekday 7', 'localtime', 'utc', 'subsec', 'auto', 'julianday');
SELECT date('0000-01-01', '-1 year');
SELECT date('9999-12-31', '+1 day');
SELECT strftime('%Y-%m-%d %H:%M:%f %s %j %w %W %U %G %V %u %e %k %l %p %P %R %T %%', '2000-02-29');
SELECT strftime('%', 'now');
SELECT date('');
SELECT date(NULL);
SELECT timediff('2000-01-01', '1999-01-01');
