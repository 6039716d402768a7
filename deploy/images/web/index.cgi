#!/bin/sh
# The kubia answer: which pod served this request.
printf 'Content-Type: text/plain\r\n\r\n'
echo "You've hit $(hostname)"
