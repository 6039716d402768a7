/**
 * protobufjs decodes 64-bit integers as Long objects whenever the `long` package is loadable, even
 * for code generated with `--force-number` (that flag only changes the typings). mk keeps every id,
 * term, index and revision below 2^53, so we switch this protobufjs instance to plain numbers
 * before any generated code runs. Values above 2^53 would lose precision: producers must not
 * create them.
 */
import * as $protobuf from 'protobufjs/minimal';

// util.Long is typed as the Long constructor; clearing it is protobufjs' documented switch.
($protobuf.util as { Long?: unknown }).Long = undefined;
$protobuf.configure();

export const protobuf = $protobuf;
