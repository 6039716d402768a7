import { defineSweep } from './sweep';

// Safety sweep: 3-node clusters, seeds 501..1000.
defineSweep(3, 501);
