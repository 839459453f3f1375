/** The one polling helper, shared with the benches (which may not import from test/). */
export { eventually } from '../../bench/lib/poll';
