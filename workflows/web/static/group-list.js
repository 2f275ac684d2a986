// The group-list editor (templates/web/_group_list.html): adds and removes rows in place. Without this script the
// same buttons post the form and the server adds or removes the row, so nothing here is needed to submit.
(function () {
  'use strict';

  function renumber(box, said) {
    const rows = box.querySelectorAll('[data-gl-rows] > tr');
    rows.forEach(function (row, k) { row.querySelector('[data-gl-no]').textContent = String(k + 1); });
    box.querySelector('[data-gl-empty]').hidden = rows.length > 0;
    box.querySelector('[data-gl-status]').textContent = said + '，共 ' + rows.length + ' 个群组';
  }

  function add(box) {
    const i = Number(box.dataset.next || '0');
    box.dataset.next = String(i + 1);
    const html = box.querySelector('template[data-gl-template]').innerHTML.split('__i__').join(String(i));
    const body = box.querySelector('[data-gl-rows]');
    body.insertAdjacentHTML('beforeend', html);
    renumber(box, '已添加一个群组');
    const first = body.lastElementChild.querySelector('input[type=text]');
    first.focus();
    first.scrollIntoView({ block: 'center' });
  }

  function remove(box, button) {
    const row = button.closest('tr');
    const next = row.nextElementSibling || row.previousElementSibling;
    const name = row.querySelector('input[type=text]').value;
    row.remove();
    renumber(box, '已删除' + (name ? '「' + name + '」' : '一个群组'));
    (next ? next.querySelector('[data-gl-remove]') : box.querySelector('[data-gl-add]')).focus();
  }

  document.addEventListener('click', function (ev) {
    const target = ev.target instanceof Element ? ev.target : null;
    const box = target && target.closest('.gl');
    if (!box) return;
    const adder = target.closest('[data-gl-add]');
    const remover = target.closest('[data-gl-remove]');
    if (!adder && !remover) return;
    ev.preventDefault();
    if (adder) add(box); else remove(box, remover);
  });

  // A cell the server marked as wrong stops looking wrong once it is changed (the server checks again on submit).
  function settle(ev) {
    const target = ev.target instanceof Element ? ev.target : null;
    const cell = target && target.closest('.gl .gl-cell.invalid');
    if (!cell) return;
    cell.classList.remove('invalid');
    cell.querySelectorAll('[aria-invalid]').forEach(function (el) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); });
    cell.querySelectorAll('.error').forEach(function (el) { el.remove(); });
    const row = cell.closest('tr');
    if (!row.querySelector('.gl-cell.invalid, .gl-head .error')) row.classList.remove('invalid-row');
    const box = row.closest('.gl');
    const summary = box.querySelector(':scope > .error');
    if (summary && !box.querySelector('.invalid-row')) summary.hidden = true;
  }
  document.addEventListener('input', settle);
  document.addEventListener('change', settle);

  // 导入到上方清单核对 (the spreadsheet form beside the task form) takes the list as it stands on the page, typed
  // rows not yet saved included: the server merges the sheet into it instead of replacing it.
  document.addEventListener('submit', function (ev) {
    const sheetForm = ev.target instanceof HTMLFormElement && ev.target.closest('#gl-sheet') ? ev.target : null;
    if (!sheetForm || !ev.submitter || ev.submitter.value !== 'preview') return;
    sheetForm.querySelectorAll('[data-gl-carried]').forEach(function (el) { el.remove(); });
    document.querySelectorAll('.gl').forEach(function (box) {
      const prefix = box.dataset.field + '-';
      box.querySelectorAll('input, select').forEach(function (el) {
        if (!el.name || !el.name.startsWith(prefix) || ((el.type === 'radio' || el.type === 'checkbox') && !el.checked)) return;
        if (el.closest('template')) return;
        const copy = document.createElement('input');
        copy.type = 'hidden';
        copy.name = el.name;
        copy.value = el.value;
        copy.setAttribute('data-gl-carried', '');
        sheetForm.appendChild(copy);
      });
    });
  });

  // Enter in a row's input must not post the whole list (nor press a row's 删除): it moves to the next input.
  document.addEventListener('keydown', function (ev) {
    const target = ev.target instanceof Element ? ev.target : null;
    if (ev.key !== 'Enter' || !target || !target.closest('.gl') || !target.matches('input')) return;
    ev.preventDefault();
    const inputs = Array.from(target.closest('.gl').querySelectorAll('input[type=text], input[type=number], select'));
    const next = inputs[inputs.indexOf(target) + 1];
    if (next) next.focus();
  });
})();
