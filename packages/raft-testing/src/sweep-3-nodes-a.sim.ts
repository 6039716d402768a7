import { defineSweep } from './sweep';

// Safety sweep: 3-node clusters, seeds 1..500.
defineSweep(3, 1);
