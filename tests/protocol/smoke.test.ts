import t from 'tap';
import { Cmd, Opt, cmdName, optName, optionFromName } from '../../src/protocol/constants.js';

t.test('names round-trip', async (t) => {
  t.equal(cmdName(Cmd.DO), 'DO');
  t.equal(optName(Opt.GMCP), 'GMCP');
  t.equal(optName(250), '250');
  t.equal(optionFromName('new-environ'), Opt.NEW_ENVIRON);
  t.equal(optionFromName('201'), 201);
  t.equal(optionFromName('nope'), undefined);
});
