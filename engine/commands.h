// Commands over results files (inspect.c: show, export, plot) and sweeps
// (sweep.c). Each takes argv with the command's name at argv[0].
#ifndef PT_COMMANDS_H
#define PT_COMMANDS_H

int pt_cmd_show(int argc, char **argv);
int pt_cmd_export(int argc, char **argv);
int pt_cmd_plot(int argc, char **argv);
int pt_cmd_sweep(int argc, char **argv);

#endif
