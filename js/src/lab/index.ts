/**
 * JupyterLab plugin: adds the symbolic distillation side panel and its commands. Works in any
 * shell with a left area (JupyterLab, Notebook 7), so it requires no ILabShell.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { CommandIDs, PANEL_ID } from './commands';
import { SidePanel } from './panel';

const icon = new LabIcon({
  name: 'symtorch-lab:panel',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M3 4h6v4H3zM15 4h6v4h-6zM9 16h6v4H9zM6 8h1v3h10V8h1v4h-5.5v4h-1v-4H6z"/></g></svg>'
});

function toolButton(app: JupyterFrontEnd, command: string, text: string): HTMLButtonElement {
  const button = document.createElement('button');
  button.className = 'jp-Button jp-mod-minimal stl-tool';
  button.textContent = text;
  button.title = app.commands.label(command);
  button.dataset.command = command;
  button.addEventListener('click', () => void app.commands.execute(command));
  return button;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'symtorch-lab:panel',
  description: 'Side panel for symbolic distillation of the models in the notebook kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    const { shell } = app;
    const panel = new SidePanel(tracker);
    panel.id = PANEL_ID;
    panel.title.icon = icon;
    panel.title.caption = 'Symbolic distillation';
    shell.add(panel, 'left', { rank: 600 });
    const { commands } = app;
    commands.addCommand(CommandIDs.openPanel, {
      label: 'Open Symbolic Distillation Panel',
      execute: () => shell.activateById(PANEL_ID)
    });
    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Module Tree',
      execute: () => {
        panel.slime.refresh();
        return panel.refresh();
      }
    });
    commands.addCommand(CommandIDs.expandAll, {
      label: 'Expand All Modules',
      execute: () => panel.tree.expandAll()
    });
    commands.addCommand(CommandIDs.collapseAll, {
      label: 'Collapse All Modules',
      execute: () => panel.tree.collapseAll()
    });
    panel.toolbar.append(
      toolButton(app, CommandIDs.refresh, '↻'),
      toolButton(app, CommandIDs.expandAll, '⊞'),
      toolButton(app, CommandIDs.collapseAll, '⊟')
    );
  }
};

export default plugin;
