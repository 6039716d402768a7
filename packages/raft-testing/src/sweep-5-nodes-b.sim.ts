import { defineSweep } from './sweep';

// Safety sweep: 5-node clusters, seeds 501..1000.
defineSweep(5, 501);
