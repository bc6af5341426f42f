-- lstm-lint server in headless Neovim's built-in LSP client (Neovim 0.7 API): a percent script
-- and an .ipynb opened as text get their diagnostics (codes and lines checked as Neovim stores
-- them), an edit in Neovim (sent as Neovim's own incremental change) clears the script's finding.
-- Run by test_neovim.sh: nvim --headless -u NONE -c 'luafile test_neovim.lua', with LSTM_LINT,
-- WORK (a directory holding train.py and train.ipynb) and the expected lines in the environment.
local bin = os.getenv('LSTM_LINT')
local work = os.getenv('WORK')
local script_line = tonumber(os.getenv('SCRIPT_LINE'))  -- 1-based line of the flagged call in train.py
local passed, failed = 0, 0

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

local function check(name, ok, detail)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    out('FAIL: ' .. name .. (detail and (' ' .. vim.inspect(detail)) or ''))
  end
end

local published = {}  -- uri -> number of publications
local default_handler = vim.lsp.handlers['textDocument/publishDiagnostics']
local client_id = vim.lsp.start_client({
  name = 'lstm-lint',
  cmd = { bin, 'server' },
  root_dir = work,
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      default_handler(err, result, ctx, config)
      published[result.uri] = (published[result.uri] or 0) + 1
    end,
  },
})
check('the client started', client_id ~= nil)

local function open(path, filetype)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = filetype
  vim.lsp.buf_attach_client(buf, client_id)
  return buf, vim.uri_from_bufnr(buf)
end

local function wait_for_publication(uri, count)
  return vim.wait(20000, function() return (published[uri] or 0) >= count end, 20)
end

local function codes(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do table.insert(list, d.code) end
  table.sort(list)
  return list
end

-- The percent script.
local py, py_uri = open(work .. '/train.py', 'python')
check('the script got diagnostics', wait_for_publication(py_uri, 1))
local diags = vim.diagnostic.get(py)
check('one finding, LSTM301', #diags == 1 and diags[1].code == 'LSTM301', diags)
check('on the flagged line, from the flagged column', diags[1] and diags[1].lnum == script_line - 1 and diags[1].col == 30, diags[1])
check('severity error', diags[1] and diags[1].severity == vim.diagnostic.severity.ERROR)
check('source lstm-lint', diags[1] and diags[1].source == 'lstm-lint')

-- An edit in Neovim: the detach line inserted above the call.
local before = published[py_uri]
vim.api.nvim_buf_set_lines(py, script_line - 1, script_line - 1, false, { '    hidden = tuple(h.detach() for h in hidden)' })
check('the edit was published', wait_for_publication(py_uri, before + 1))
check('after the edit the script is clean', #vim.diagnostic.get(py) == 0, vim.diagnostic.get(py))
-- Undo: the finding comes back on its line.
before = published[py_uri]
vim.api.nvim_buf_set_lines(py, script_line - 1, script_line, false, {})
check('the undo was published', wait_for_publication(py_uri, before + 1))
diags = vim.diagnostic.get(py)
check('the finding is back on its line', #diags == 1 and diags[1].lnum == script_line - 1, diags)

-- The notebook as JSON text.
local nb, nb_uri = open(work .. '/train.ipynb', 'json')
check('the notebook got diagnostics', wait_for_publication(nb_uri, 1))
local nbcodes = codes(nb)
check('the notebook has LSTM301', vim.tbl_contains(nbcodes, 'LSTM301'), nbcodes)
for _, d in ipairs(vim.diagnostic.get(nb)) do
  if d.code == 'LSTM301' then
    local text = vim.api.nvim_buf_get_lines(nb, d.lnum, d.lnum + 1, false)[1]
    check('on the raw JSON line holding the flagged source', text:find('model(x, hidden)', 1, true) ~= nil, text)
  end
end

vim.lsp.stop_client(client_id)
vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
out(string.format('%d passed, %d failed', passed, failed))
vim.cmd((failed == 0) and 'qa!' or 'cquit 1')
