/**
 * The engine worker: one per process, started by the first blocking call.
 * It runs the async engine and answers the control plane through synckit.
 */
import { runAsWorker } from 'synckit';
import { handle } from '../src/bridge/engine-host.js';

runAsWorker(handle);
