import { defineSweep } from './sweep';

// Safety sweep: 5-node clusters, seeds 1..500.
defineSweep(5, 1);
