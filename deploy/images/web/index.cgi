#!/bin/sh
# The kubia answer: which pod served this request; and, like kubia, the log names the client.
# busybox httpd gives IPv4 clients as "[::ffff:10.244.1.5]": log the plain address.
addr=${REMOTE_ADDR#[}; addr=${addr%]}; addr=${addr#::ffff:}
echo "Received request from ${addr:-unknown}" >&2
printf 'Content-Type: text/plain\r\n\r\n'
echo "You've hit $(hostname)"
